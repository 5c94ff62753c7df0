"""TRANSFER-RETRIEVE-URL against s3py's own download: many small files, credential-free clone.

One moto server on 127.0.0.1, one public s3py remote, one credential-free clone. Each round
times ``git annex get -J4 --from s3 .`` twice, in alternating order: once with
``annex.security.allowed-ip-addresses=127.0.0.1`` (s3py hands git-annex the public URL) and
once with it set to another address (s3py downloads itself, as on a private endpoint).

    python scripts/measure/bench_retrieve_url.py --git-annex-bin DIR  # the newest git-annex's bin
    python scripts/measure/bench_retrieve_url.py --files 50 --rounds 1  # a quick look

Needs a git-annex that announces TRANSFER-RETRIEVE-URL (10.20261026 does; 10.20230126 does not,
and then both columns measure s3py's own download).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from support.repos import S3Server, isolated_env, make_annex_repo, run  # noqa: E402

URL, OWN = "git-annex downloads (URL)", "s3py downloads"
ALLOWED = {URL: "127.0.0.1", OWN: "10.255.255.1"}


def prepare(root: Path, server: S3Server, files: int, size: int,
            git_annex_bin: str | None) -> tuple[Path, dict[str, str]]:
    """A published repository and a credential-free, verified clone of it."""
    env = isolated_env(root / "home")
    if git_annex_bin:
        env["PATH"] = git_annex_bin + os.pathsep + env["PATH"]
    content = {f"f{i:04d}.bin": os.urandom(size) for i in range(files)}
    repo = make_annex_repo(root / "repo", env, content)
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         "bucket=bench-retrieve-url", f"endpoint={server.endpoint}", "encryption=none",
         "public=yes", "autoenable=true"], repo, env)
    run(["git", "annex", "copy", "-J4", "--to", "s3", "."], repo, env)
    run(["git", "init", "-q", "--bare", str(root / "bare.git")], root, env)
    run(["git", "push", "-q", str(root / "bare.git"), "main", "git-annex"], repo, env)
    free = isolated_env(root / "free-home", with_credentials=False)
    free["PATH"] = env["PATH"]
    clone = root / "clone"
    run(["git", "clone", "-q", str(root / "bare.git"), str(clone)], root, free)
    run(["git", "annex", "init"], clone, free)
    run(["git", "config", "remote.s3.annex-verified", "verified"], clone, free)
    return clone, free


def check_mode(clone: Path, env: dict[str, str], mode: str) -> None:
    """Prove which side downloads in ``mode`` (one file, with --debug)."""
    run(["git", "config", "annex.security.allowed-ip-addresses", ALLOWED[mode]], clone, env)
    run(["git", "annex", "drop", "--force", "f0000.bin"], clone, env)
    debug = run(["git", "annex", "--debug", "get", "--from", "s3", "f0000.bin"], clone, env).stderr
    assert bool(re.search(r"--> (J \d+ )?TRANSFER-RETRIEVE-URL ", debug)) == (mode == URL), mode


def timed_get(clone: Path, env: dict[str, str], mode: str, files: int) -> float:
    run(["git", "config", "annex.security.allowed-ip-addresses", ALLOWED[mode]], clone, env)
    run(["git", "annex", "drop", "--force", "."], clone, env)
    start = time.monotonic()
    got = run(["git", "annex", "get", "-J4", "--from", "s3", "."], clone, env)
    elapsed = time.monotonic() - start
    assert got.stdout.count(" ok") >= files, got.stdout[-500:]
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--size", type=int, default=4096, help="bytes per file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--git-annex-bin", default=os.environ.get("S3PY_TEST_GIT_ANNEX_BIN"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3py-bench-url-") as tmp, S3Server() as server:
        clone, env = prepare(Path(tmp), server, options.files, options.size,
                             options.git_annex_bin)
        version = run(["git", "annex", "version", "--raw"], clone, env).stdout.strip()
        times: dict[str, list[float]] = {URL: [], OWN: []}
        if "TRANSFER-RETRIEVE-URL" in run(["git", "annex", "--debug", "info", "s3"], clone,
                                          env).stderr:
            for mode in times:
                check_mode(clone, env, mode)
        for round_number in range(options.rounds):
            order = [URL, OWN] if round_number % 2 == 0 else [OWN, URL]
            for mode in order:
                times[mode].append(timed_get(clone, env, mode, options.files))
    print(f"git-annex {version}; get -J4 of {options.files} files of {options.size} bytes, "
          f"credential-free, {options.rounds} interleaved rounds")
    for mode, values in times.items():
        print(f"  {mode:28s} " + " ".join(f"{v:6.2f}" for v in values)
              + f"   median {statistics.median(values):6.2f} s")
    ratio = statistics.median(times[URL]) / statistics.median(times[OWN])
    print(f"  URL / own: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
