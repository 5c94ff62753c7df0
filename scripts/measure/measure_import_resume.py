"""Does ``git annex import --from R --no-content`` run again after a kill skip the keys the
killed run imported? N objects in moto (filled in its process), an s3py ``importtree=yes``
remote through the recording proxy; the first import is stopped after K IMPORTKEYs (s3py sends
one HEAD per IMPORTKEY), then run again to its end, then once more. Prints the HEADs of each
run, the journal files the kill left, and the files the imported branch names.

``--signal KILLPG`` kills git, git-annex and the remote at once (a power cut, an OOM kill of
the group); ``INT``/``TERM`` go to ``git`` alone, which passes them on to git-annex (Ctrl-C).
``KILL`` to ``git`` alone leaves git-annex running on (git runs it as a child): not a stop.

    S3PY_TEST_GIT_ANNEX_BIN=$PWD/.venv-annex-newest/annex-bin \\
        .venv/bin/python scripts/measure/measure_import_resume.py 2000 800 --signal KILLPG
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests")]
from support.faultproxy import FaultProxy  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

IMPORT = ["git", "annex", "import", "main", "--from", "lab", "--no-content"]


def heads(proxy: FaultProxy) -> list[str]:
    return [seen.path for seen in proxy.since(0) if seen.method == "HEAD"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("objects", type=int)
    parser.add_argument("stop_after", type=int, help="IMPORTKEYs before the first run stops")
    parser.add_argument("--signal", default="KILLPG", choices=("KILLPG", "INT", "TERM", "KILL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3py-import-resume-") as tmp, \
            S3Server(fill=("lab", "data/", args.objects, 100)) as server:
        env = isolated_env(Path(tmp) / "home")
        proxy = FaultProxy(server.endpoint).start()
        repo = Path(tmp) / "repo"
        repo.mkdir()
        run(["git", "init", "-q"], repo, env)
        run(["git", "annex", "init", "-q", "resume"], repo, env)
        run(["git", "annex", "initremote", "lab", "type=external", "externaltype=s3py",
             "importtree=yes", "encryption=none", "bucket=lab", "fileprefix=data/",
             f"endpoint={proxy.endpoint}"], repo, env)
        print(f"git-annex {run(['git', 'annex', 'version', '--raw'], repo, env).stdout}")
        first = subprocess.Popen(IMPORT, cwd=repo, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        while len(heads(proxy)) < args.stop_after and first.poll() is None:
            time.sleep(0.05)
        if args.signal == "KILLPG":
            os.killpg(first.pid, signal.SIGKILL)
        else:
            os.kill(first.pid, getattr(signal, f"SIG{args.signal}"))
        first.wait()
        imported = set(heads(proxy))
        print(f"run 1 stopped ({args.signal}) after {len(imported)} IMPORTKEYs; journal files "
              f"left: {len(os.listdir(repo / '.git' / 'annex' / 'journal'))}")
        for name in ("run 2 (again after the stop)", "run 3 (nothing new)"):
            proxy.reset_counters()
            start = time.monotonic()
            run(IMPORT, repo, env, timeout=None)
            seen = heads(proxy)
            named = run(["git", "ls-tree", "-r", "--name-only", "lab/main"], repo,
                        env).stdout.count("\n")
            print(f"{name}: {len(seen)} IMPORTKEYs ({len(set(seen) & imported)} of run 1's "
                  f"keys again), {time.monotonic() - start:.1f} s; lab/main names {named} "
                  "files")
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
