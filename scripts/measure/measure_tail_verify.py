"""Why small `get`s from ANY external special remote are slower than from the built-in S3
remote: git-annex's tail verifier (an inotify instance per retrieved file).

While an external remote writes a retrieved file, git-annex follows it with inotify to hash
it as it grows (Annex/Verify.hs ``tailVerify``), then closes that inotify instance. Closing an
inotify fd waits for the kernel (fsnotify group teardown, an SRCU grace period), the longer the
busier the CPUs are: part 1 times that close alone, with every CPU, ..., none kept busy.
Part 2 runs `git annex get -J1` of N small files from a 40-line external remote that copies
them from a local directory (no S3, no network, no s3py) with git-annex's defaults and with
``remote.NAME.annex-verify=false`` (no tail verifier; git-annex still checks every hashing
key after the download: tests/e2e/test_annex_verify_e2e.py), and counts the files whose step
from TRANSFER-SUCCESS to moving the file into the annex took over 8 ms.

    python scripts/measure/measure_tail_verify.py                 # 200 files, Debian's git-annex
    S3PY_TEST_GIT_ANNEX_BIN=.venv-annex-newest/annex-bin \\
        python scripts/measure/measure_tail_verify.py
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from support.repos import isolated_env, make_annex_repo, run  # noqa: E402

IN_MODIFY = 0x2
COPYING_REMOTE = r'''#!/usr/bin/env python3
import os, shutil, sys
store = os.environ["TAIL_VERIFY_STORE"]
def send(line):
    sys.stdout.write(line + "\n"); sys.stdout.flush()
send("VERSION 2")
for line in sys.stdin:
    words = line.rstrip("\n").split(" ")
    if words[0] == "EXTENSIONS": send("EXTENSIONS")
    elif words[0] == "INITREMOTE": send("INITREMOTE-SUCCESS")
    elif words[0] == "PREPARE": send("PREPARE-SUCCESS")
    elif words[0] == "TRANSFER":
        key, path = words[2], " ".join(words[3:])
        if words[1] == "STORE":
            shutil.copyfile(path, os.path.join(store, key))
        else:
            shutil.copyfile(os.path.join(store, key), path)
        send(f"TRANSFER-SUCCESS {words[1]} {key}")
    elif words[0] == "CHECKPRESENT":
        there = os.path.exists(os.path.join(store, words[1]))
        send(f"CHECKPRESENT-{'SUCCESS' if there else 'FAILURE'} {words[1]}")
    elif words[0] == "REMOVE":
        if os.path.exists(os.path.join(store, words[1])):
            os.remove(os.path.join(store, words[1]))
        send(f"REMOVE-SUCCESS {words[1]}")
    else: send("UNSUPPORTED-REQUEST")
'''


def inotify_close_ms(rounds: int, busy: int = 0) -> list[float]:
    """Milliseconds to close an inotify fd that watched a directory in which a file was
    written, as tailVerify does once per retrieved file, while ``busy`` other processes spin
    (during a `get` git-annex, the remote, the server and git's helpers keep the CPUs busy)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    directory = tempfile.mkdtemp(prefix="inotify-")
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(busy)]
    times = []
    try:
        for number in range(rounds):
            fd = libc.inotify_init1(os.O_NONBLOCK)
            libc.inotify_add_watch(fd, directory.encode(), IN_MODIFY)
            Path(directory, f"f{number}").write_bytes(os.urandom(10_000))
            start = time.perf_counter()
            os.close(fd)
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.003)  # about git-annex's pace between two small files
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
        shutil.rmtree(directory, ignore_errors=True)
    return times


def stamp(line: str) -> float:
    day_time, fraction = line[1:].split("]", 1)[0].split(".")
    return datetime.strptime(day_time, "%Y-%m-%d %H:%M:%S").timestamp() + float(f"0.{fraction}")


def success_to_move_ms(debug_log: str) -> list[float]:
    """Per retrieved file: TRANSFER-SUCCESS received -> content moved into the annex."""
    steps, success = [], None
    for line in debug_log.splitlines():
        if "TRANSFER-SUCCESS RETRIEVE" in line:
            success = stamp(line)
        elif success is not None and re.search(r"freezing content \.git", line):
            steps.append((stamp(line) - success) * 1000)
            success = None
    return steps


def gets(files: int, repeat: int) -> dict[str, list[tuple[float, list[float]]]]:
    work = Path(tempfile.mkdtemp(prefix="tail-verify-"))
    try:
        env = isolated_env(work / "home")
        bin_dir, store = work / "bin", work / "store"
        bin_dir.mkdir()
        store.mkdir()
        remote = bin_dir / "git-annex-remote-copying"
        remote.write_text(COPYING_REMOTE)
        remote.chmod(0o755)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
        env["TAIL_VERIFY_STORE"] = str(store)
        rng = random.Random(1)
        repo = make_annex_repo(work / "repo", env, {
            f"d{n % 10}/f{n:05d}.bin": rng.randbytes(rng.randint(1024, 20 * 1024))
            for n in range(files)})
        run(["git", "annex", "initremote", "copying", "type=external", "externaltype=copying",
             "encryption=none"], repo, env)
        run(["git", "annex", "copy", "--to", "copying", "."], repo, env)
        variants = {"defaults": [], "annex-verify=false": ["-c",
                                                           "remote.copying.annex-verify=false"]}
        results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in variants}
        for round_number in range(repeat):
            order = list(variants.items())[round_number % 2:] + \
                list(variants.items())[:round_number % 2]
            for name, config in order:
                run(["git", "annex", "drop", "--force", "-q", "."], repo, env)
                start = time.perf_counter()
                result = run(["git", *config, "annex", "--debug", "get", "-J1", "--from",
                              "copying", "."], repo, env)
                results[name].append((time.perf_counter() - start,
                                      success_to_move_ms(result.stderr)))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args(argv)
    for busy in range(os.cpu_count() or 1, -1, -1):
        closes = inotify_close_ms(200, busy)
        print(f"close() of an inotify fd, {busy} CPU(s) busy: median "
              f"{statistics.median(closes):.1f} ms, {sum(c > 5 for c in closes)} of "
              f"{len(closes)} over 5 ms")
    version = run(["git", "annex", "version", "--raw"], Path.cwd(),
                  isolated_env(Path(tempfile.gettempdir()) / "tail-verify-home")).stdout
    print(f"git-annex {version.strip()}, get -J1 of {options.files} small files from a "
          "copying external remote:")
    for name, rounds in gets(options.files, options.repeat).items():
        for seconds, steps in rounds:
            print(f"  {name:<20} {seconds:5.2f} s  {sum(s > 8 for s in steps):4d} of "
                  f"{len(steps)} files stalled >8 ms (median step "
                  f"{statistics.median(steps):.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
