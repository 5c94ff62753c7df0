"""TRANSFER-RETRIEVE-URL against s3py's own download: many small files.

One moto server on 127.0.0.1 (or ``--server ceph``: a Ceph RGW started here), one s3py
remote: public and read from a credential-free clone, or (``--signed``) private and read
with credentials, where s3py hands git-annex presigned URLs. Each round times ``git annex
get -J<jobs> --from s3 .`` twice per file size, in alternating order: once with
``remote.s3.s3py-retrieve-url=yes`` (s3py hands git-annex the URL) and once with ``no``
(s3py downloads itself), wall and CPU time (git-annex's and s3py's). ``--sizes`` finds the
size where the URL stops paying (``RETRIEVE_URL_MAX_SIZE`` is lifted for the measurement).

    python scripts/measure/bench_retrieve_url.py --git-annex-bin DIR  # the newest git-annex's bin
    python scripts/measure/bench_retrieve_url.py --signed --jobs 1 4 --rounds 3
    python scripts/measure/bench_retrieve_url.py --signed --sizes 65536 1048576 4194304 --files 40

Needs a git-annex that announces TRANSFER-RETRIEVE-URL (10.20261026 does; 10.20230126 does not,
and then both columns measure s3py's own download).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts" / "bench"), str(ROOT / "tests")]
from support.repos import S3Server, isolated_env, make_annex_repo, run  # noqa: E402

URL, OWN = "git-annex downloads (URL)", "s3py downloads"
SETTING = {URL: "yes", OWN: "no"}
REPLY = re.compile(r"--> (J \d+ )?TRANSFER-RETRIEVE-URL ")


def lifted_size_limit(into: Path) -> Path:
    """A copy of the package whose ``RETRIEVE_URL_MAX_SIZE`` takes every size (for ``--sizes``),
    to put first on PYTHONPATH."""
    shutil.copytree(ROOT / "git_annex_remote_s3py", into / "git_annex_remote_s3py")
    policy = into / "git_annex_remote_s3py" / "annex" / "retrieve_url.py"
    text = re.sub(r"^RETRIEVE_URL_MAX_SIZE = .*$", "RETRIEVE_URL_MAX_SIZE = 1 << 40",
                  policy.read_text(), flags=re.M)
    policy.write_text(text)
    return into


def prepare(root: Path, endpoint: str, sizes: list[int], files: int, signed: bool,
            env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A repository holding ``files`` files of each size in remote ``s3``; with ``signed`` it
    reads them itself (private bucket, credentials), else a credential-free, verified clone
    (public bucket)."""
    content = {f"s{size}/f{i:04d}.bin": os.urandom(size) for size in sizes for i in range(files)}
    repo = make_annex_repo(root / "repo", env, content)
    bucket = f"bench-retrieve-url-{os.getpid()}"
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         f"bucket={bucket}", f"endpoint={endpoint}", "encryption=none", "autoenable=true",
         *([] if signed else ["public=yes"])], repo, env)
    run(["git", "annex", "copy", "-J4", "--to", "s3", "."], repo, env)
    if signed:
        return repo, env
    run(["git", "init", "-q", "--bare", str(root / "bare.git")], root, env)
    run(["git", "push", "-q", str(root / "bare.git"), "main", "git-annex"], repo, env)
    free = isolated_env(root / "free-home", with_credentials=False)
    free["PATH"], free["PYTHONPATH"] = env["PATH"], env.get("PYTHONPATH", "")
    clone = root / "clone"
    run(["git", "clone", "-q", str(root / "bare.git"), str(clone)], root, free)
    run(["git", "annex", "init"], clone, free)
    run(["git", "config", "remote.s3.annex-verified", "verified"], clone, free)
    return clone, free


def check_mode(repo: Path, env: dict[str, str], mode: str, path: str, public: bool) -> None:
    """Prove which side downloads in ``mode`` (one file, ``--debug``). A presigned URL is
    never given under ``--debug`` (git-annex would log it): there only s3py's own mode is
    checked here; tests/e2e/test_annex_extensions.py proves the presigned path."""
    run(["git", "config", "remote.s3.s3py-retrieve-url", SETTING[mode]], repo, env)
    run(["git", "annex", "drop", "--force", path], repo, env)
    debug = run(["git", "annex", "--debug", "get", "--from", "s3", path], repo, env).stderr
    if mode == OWN or public:
        assert bool(REPLY.search(debug)) == (mode == URL), mode


def children_cpu() -> float:
    """User + system seconds of every finished child (git-annex and the remotes it ran)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_get(repo: Path, env: dict[str, str], mode: str, folder: str, jobs: int,
              files: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of git-annex and s3py) of one get of ``folder``."""
    run(["git", "config", "remote.s3.s3py-retrieve-url", SETTING[mode]], repo, env)
    run(["git", "annex", "drop", "--force", folder], repo, env)
    cpu, start = children_cpu(), time.monotonic()
    got = run(["git", "annex", "get", f"-J{jobs}", "--from", "s3", folder], repo, env)
    elapsed, used = time.monotonic() - start, children_cpu() - cpu
    assert got.stdout.count("ok\n") >= files, (got.stdout.count("ok\n"), got.stderr[-2000:])
    return elapsed, used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="files of each size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096], help="bytes per file")
    parser.add_argument("--jobs", type=int, nargs="+", default=[4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--signed", action="store_true", help="a private bucket read with "
                        "credentials (presigned URLs)")
    parser.add_argument("--server", choices=("moto", "ceph"), default="moto",
                        help="moto, or a Ceph RGW started here (make servers installs it)")
    parser.add_argument("--git-annex-bin", default=os.environ.get("S3PY_TEST_GIT_ANNEX_BIN"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3py-bench-url-") as tmp, S3Server() as moto, \
            contextlib.ExitStack() as stack:
        root = Path(tmp)
        env = isolated_env(root / "home")
        endpoint = moto.endpoint
        if options.server == "ceph":
            from support.ceph import CephRGW

            ceph = CephRGW()
            stack.callback(ceph.stop)
            endpoint = ceph.http.endpoint
            env.update({"AWS_ACCESS_KEY_ID": ceph.http.access_key,
                        "AWS_SECRET_ACCESS_KEY": ceph.http.secret_key})
        if options.git_annex_bin:
            env["PATH"] = options.git_annex_bin + os.pathsep + env["PATH"]
        if max(options.sizes) > 1024 * 1024:
            env["PYTHONPATH"] = str(lifted_size_limit(root / "lifted"))
        repo, env = prepare(root, endpoint, options.sizes,
                            options.files, options.signed, env)
        version = run(["git", "annex", "version", "--raw"], repo, env).stdout.strip()
        for mode in (URL, OWN):
            check_mode(repo, env, mode, f"s{options.sizes[0]}/f0000.bin", not options.signed)
        times: dict[tuple[int, int, str], list[tuple[float, float]]] = {}
        for round_number in range(options.rounds):
            order = [URL, OWN] if round_number % 2 == 0 else [OWN, URL]
            for size in options.sizes:
                for jobs in options.jobs:
                    for mode in order:
                        times.setdefault((size, jobs, mode), []).append(
                            timed_get(repo, env, mode, f"s{size}", jobs, options.files))
    reads = "signed (presigned URLs)" if options.signed else "credential-free"
    print(f"git-annex {version}; {reads}, {options.files} files per size, "
          f"{options.rounds} interleaved rounds")
    for size in options.sizes:
        for jobs in options.jobs:
            wall, cpu = {}, {}
            for mode in (URL, OWN):
                values = times[(size, jobs, mode)]
                wall[mode] = statistics.median(v[0] for v in values)
                cpu[mode] = statistics.median(v[1] for v in values)
                print(f"  {size:>9d} B -J{jobs} {mode:26s} wall "
                      + " ".join(f"{v[0]:6.2f}" for v in values)
                      + f" median {wall[mode]:6.2f} s; CPU "
                      + " ".join(f"{v[1]:6.2f}" for v in values) + f" median {cpu[mode]:6.2f} s")
            print(f"  {size:>9d} B -J{jobs} URL / own: wall {wall[URL] / wall[OWN]:.2f}, "
                  f"CPU {cpu[URL] / cpu[OWN]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
