"""Ways to build the scale row's tree (``bench_measure.tree_files``: N files of 1-20 KiB in 10
folders) and what each costs: ``git annex add`` as a user runs it against variants that could
be faster (``--jobs=2``, ``annex.alwayscommit=false``, a larger ``annex.queuesize``), each in a
fresh repository on the tmpfs, then ``git commit``. Prints wall and CPU seconds (git and
git-annex and their children) and what identifies the repository each variant gives (the HEAD
tree, the git-annex branch's commits, the keys present, the journal), which must be the same.

    .venv/bin/python scripts/measure/measure_tree_build.py 3000 plain jobs2 noalwayscommit
    .venv/bin/python scripts/measure/measure_tree_build.py 20000 all plain
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts" / "bench"), str(ROOT / "tests")]
from bench_measure import TREE_HIGH, TREE_LOW, children_cpu, remove_tree, tree_files  # noqa: E402
from bench_servers import SHM  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

ADD = ["annex", "add", "--force-large", "-q"]
VARIANTS = {
    "plain": ["git", *ADD, "."],
    "jobs2": ["git", *ADD, "--jobs=2", "."],
    "noalwayscommit": ["git", "-c", "annex.alwayscommit=false", *ADD, "."],
    "queue100k": ["git", "-c", "annex.queuesize=100000", *ADD, "."],
    "all": ["git", "-c", "annex.queuesize=100000", "-c", "annex.alwayscommit=false", *ADD,
            "--jobs=2", "."],
}


def build(repo: Path, env: dict[str, str], files: int, variant: str) -> str:
    """One build of ``files`` files with ``variant``'s add; its line of figures."""
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    run(["git", "annex", "init", "-q", "origin"], repo, env)
    for name, content in tree_files(files, TREE_LOW, TREE_HIGH, 1000 + files):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_bytes(content)
    load, cpu, start = os.getloadavg()[0], children_cpu(), time.perf_counter()
    run(VARIANTS[variant], repo, env, timeout=None)
    run(["git", "commit", "-q", "-m", "add files"], repo, env, timeout=None)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    tree = run(["git", "rev-parse", "HEAD^{tree}"], repo, env).stdout.strip()
    commits = run(["git", "rev-list", "--count", "git-annex"], repo, env).stdout.strip()
    here = run(["git", "annex", "find", "--in", "here"], repo, env).stdout.count("\n")
    journal = len(os.listdir(repo / ".git" / "annex" / "journal"))
    return (f"{variant:<15} N={files} wall {wall:7.1f} s  CPU {cpu:7.1f} s "
            f"({cpu * 1000 / files:.2f} ms/file)  load {load:.1f}-{os.getloadavg()[0]:.1f}  "
            f"HEAD tree {tree[:10]}  git-annex commits {commits}  keys here {here}  "
            f"journal {journal}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=int)
    parser.add_argument("variants", nargs="+", choices=VARIANTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3py-tree-build-",
                                     dir=SHM if os.path.isdir(SHM) else None) as tmp:
        env = isolated_env(Path(tmp) / "home")
        for variant in args.variants:
            repo = Path(tmp) / variant
            print(build(repo, env, args.files, variant), flush=True)
            remove_tree(repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
