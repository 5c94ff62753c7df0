#!/usr/bin/env python3
"""``make demo``: s3py end to end on this machine, with no AWS account.

Starts moto's S3 server on 127.0.0.1, creates a git-annex repository under ./demo, stores its
files in a bucket through s3py, drops them locally, gets them back, checks them, and says what
it did at each step. Everything runs with a private HOME and git config under ./demo.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.local_s3 import S3Server, isolated_env  # noqa: E402  (test support, not installed)

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
FILES = {
    "README.txt": b"A tiny dataset stored in S3 through git-annex-remote-s3py.\n",
    "data/measurements.csv": b"t,value\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(2000)),
    "data/image with spaces.bin": bytes(range(256)) * 4096,
}


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    print("$ " + " ".join(args), flush=True)
    result = subprocess.run(args, cwd=cwd, env=env, text=True, capture_output=True)
    output = (result.stdout + result.stderr).strip()
    if output:
        print("  " + output.replace("\n", "\n  "), flush=True)
    if result.returncode:
        sys.exit(f"demo failed: {' '.join(args)} exited {result.returncode}")
    return result.stdout


def main() -> int:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    repo = DEMO_DIR / "dataset"
    repo.mkdir(parents=True)
    env = isolated_env(DEMO_DIR / "home")
    step("Starting a local S3 server (moto) on 127.0.0.1")
    with S3Server() as server:
        print(f"  endpoint: {server.endpoint}")
        step("Creating a git-annex repository with three files")
        sh(["git", "init", "-q"], repo, env)
        sh(["git", "annex", "init", "demo"], repo, env)
        for name, content in FILES.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_bytes(content)
        sh(["git", "annex", "add", "--force-large", "."], repo, env)
        sh(["git", "commit", "-q", "-m", "demo data"], repo, env)

        step("Setting up the s3py special remote (creates the bucket)")
        sh(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
            "encryption=none", "bucket=s3py-demo", "fileprefix=dataset/",
            f"endpoint={server.endpoint}"], repo, env)
        step("Storing every file in the bucket (-J2: one s3py process serves both jobs)")
        sh(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
        print("  objects now in the bucket:")
        for name, body in sorted(server.objects("s3py-demo").items()):
            print(f"    {name}  ({len(body)} bytes)")
        step("Dropping the local copies (git-annex checks that s3 really has them)")
        sh(["git", "annex", "drop", "."], repo, env)
        step("Getting everything back from S3")
        sh(["git", "annex", "get", "-J2", "."], repo, env)
        step("Verifying: local files byte for byte, and git annex fsck --from s3")
        for name, content in FILES.items():
            got = (repo / name).read_bytes()
            ok = hashlib.sha256(got).digest() == hashlib.sha256(content).digest()
            print(f"  {name}: {'identical' if ok else 'DIFFERENT'}")
            if not ok:
                return 1
        sh(["git", "annex", "fsck", "--from", "s3", "--fast"], repo, env)
        sh(["git", "annex", "info", "s3"], repo, env)
    step(f"Done. The demo repository is in {repo} (its private HOME in {DEMO_DIR / 'home'}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
