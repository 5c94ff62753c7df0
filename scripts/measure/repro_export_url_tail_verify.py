"""git-annex's tail verifier against its own URL download in export mode (why s3py hands git-annex
a URL for an exported key only up to 64 KiB: ``EXPORT_RETRIEVE_URL_MAX_SIZE``, docs/export.md).

git-annex follows an export retrieval's file with a thread that hashes it in 64 KiB reads
(``tailVerify``) and stops after a read once the writer said "finished". When git-annex
downloads the URL itself, its download holds the file locked, so that thread normally cannot
open it and a full checksum follows; when the thread wakes late (a loaded machine) it opens the
file after the download closed it, hashes one read and stops: 10.20261026 then fails the get
("Verification of content failed"). This script makes the late wake-up likely with an
LD_PRELOAD injector (built here with gcc): it holds back the readiness of git-annex's inotify
descriptors while a file under annex/tmp/ is open for writing, and pauses 50 ms after a
read-only open of such a file that no writer holds (GHC's 20 ms scheduler tick then preempts
the tail thread, and the main thread says "finished"). Each round drops and gets, from an
exported public tree through a credential-free clone, one file of each size, and counts the
gets git-annex downloaded itself and those that failed verification.

    S3PY_TEST_GIT_ANNEX_BIN=.venv-annex-newest/annex-bin \
        python scripts/measure/repro_export_url_tail_verify.py [--as-shipped] [--rounds 10]

``--as-shipped`` keeps the package's 64 KiB export limit.
Without it the export limit is lifted to the key-mode one (1 MiB: s3py before the fix, a
copy of the package first on PYTHONPATH). Measured 2026-12-07, 10.20261026, load 6-8, four
runs of 10 rounds: 1 MiB 7/40 failed, 64 KiB + 1 5/40, 64 KiB 0/20; with the 64 KiB limit
(``--as-shipped``, two runs) 0/60, the 64 KiB file (20 gets) through git-annex. Needs gcc and
a git-annex that announces TRANSFER-RETRIEVE-URL.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests")]
from support.local_s3 import S3Server  # noqa: E402
from support.public import bare_repo, credential_free_env  # noqa: E402
from support.repos import initremote, isolated_env, make_annex_repo, run  # noqa: E402

URL_REPLY = re.compile(r"--> (?:J \d+ )?TRANSFER-RETRIEVE-URL ")
FAILED = "Verification of content failed"
INJECTOR_C = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int inotify_fds[64], n_inotify;
static struct epoll_event held[64];
static int n_held;

/* Whether this process holds a file under annex/tmp/ (s3py's .s3py-part aside) open for
   writing: path NULL, any such file; else that file. */
static int writer_holds(const char *path) {
    char link[512], name[300], wanted[512] = "";
    if (path && !realpath(path, wanted)) return 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(name, sizeof name, "/proc/self/fd/%.200s", e->d_name);
        ssize_t len = readlink(name, link, sizeof link - 1);
        if (len <= 0) continue;
        link[len] = 0;
        if (!strstr(link, "/annex/tmp/") || strstr(link, ".s3py-part")) continue;
        if (path && strcmp(link, wanted) != 0) continue;
        snprintf(name, sizeof name, "/proc/self/fdinfo/%.200s", e->d_name);
        FILE *f = fopen(name, "r");
        if (!f) continue;
        char line[256];
        unsigned flags = 0;
        while (fgets(line, sizeof line, f)) if (sscanf(line, "flags: %o", &flags) == 1) break;
        fclose(f);
        if ((flags & O_ACCMODE) != O_RDONLY) found = 1;
    }
    closedir(d);
    return found;
}

int inotify_init1(int flags) {
    static int (*real)(int);
    if (!real) real = dlsym(RTLD_NEXT, "inotify_init1");
    int fd = real(flags);
    pthread_mutex_lock(&lock);
    if (fd >= 0 && n_inotify < 64) inotify_fds[n_inotify++] = fd;
    pthread_mutex_unlock(&lock);
    return fd;
}

static int is_inotify(int fd) {
    for (int i = 0; i < n_inotify; i++) if (inotify_fds[i] == fd) return 1;
    return 0;
}

/* GHC's IO manager keeps the fd in epoll_event.data.fd. */
int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
    static int (*real)(int, struct epoll_event *, int, int);
    if (!real) real = dlsym(RTLD_NEXT, "epoll_wait");
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pthread_mutex_lock(&lock);
        int holding = n_held > 0;
        pthread_mutex_unlock(&lock);
        int n = real(epfd, events, max, holding && timeout != 0 ? 1 : timeout);
        if (n < 0) return n;
        pthread_mutex_lock(&lock);
        int writing = writer_holds(NULL), kept = 0;
        for (int i = 0; i < n; i++) {
            if (is_inotify(events[i].data.fd) && (writing || n_held) && n_held < 64)
                held[n_held++] = events[i];
            else
                events[kept++] = events[i];
        }
        if (n_held && !writing)
            while (n_held && kept < max) events[kept++] = held[--n_held];
        pthread_mutex_unlock(&lock);
        if (kept > 0 || timeout == 0) return kept;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timeout > 0 && (now.tv_sec - start.tv_sec) * 1000
                + (now.tv_nsec - start.tv_nsec) / 1000000 >= timeout) return 0;
    }
}

static void after_open(const char *path, int flags, int writer_before, int fd) {
    if (fd >= 0 && (flags & O_ACCMODE) == O_RDONLY && strstr(path, "annex/tmp/")
            && !strstr(path, ".s3py-part") && !writer_before)
        usleep(50000);
}

#define WRAPPED_OPEN(call) \
    mode_t mode = 0; \
    if (flags & (O_CREAT | O_TMPFILE)) { \
        va_list ap; va_start(ap, flags); mode = va_arg(ap, int); va_end(ap); } \
    int watched = (flags & O_ACCMODE) == O_RDONLY && strstr(path, "annex/tmp/"); \
    int writer_before = watched ? writer_holds(path) : 1; \
    int fd = call; \
    if (watched) after_open(path, flags, writer_before, fd); \
    return fd;

int open(const char *path, int flags, ...) {
    static int (*real)(const char *, int, ...);
    if (!real) real = dlsym(RTLD_NEXT, "open");
    WRAPPED_OPEN(real(path, flags, mode))
}
int open64(const char *path, int flags, ...) {
    static int (*real)(const char *, int, ...);
    if (!real) real = dlsym(RTLD_NEXT, "open64");
    WRAPPED_OPEN(real(path, flags, mode))
}
int openat(int dirfd, const char *path, int flags, ...) {
    static int (*real)(int, const char *, int, ...);
    if (!real) real = dlsym(RTLD_NEXT, "openat");
    WRAPPED_OPEN(real(dirfd, path, flags, mode))
}
int openat64(int dirfd, const char *path, int flags, ...) {
    static int (*real)(int, const char *, int, ...);
    if (!real) real = dlsym(RTLD_NEXT, "openat64");
    WRAPPED_OPEN(real(dirfd, path, flags, mode))
}
"""


def build_injector(into: Path) -> Path:
    """The injector (``INJECTOR_C``), compiled with gcc into a shared object."""
    source, library = into / "inject.c", into / "inject.so"
    source.write_text(INJECTOR_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source), "-ldl",
                    "-lpthread"], check=True)
    return library


def lifted_export_limit(into: Path) -> Path:
    """A copy of the package whose export-mode URL limit is the key-mode one (1 MiB), as before
    the fix, to put first on PYTHONPATH."""
    shutil.copytree(ROOT / "git_annex_remote_s3py", into / "git_annex_remote_s3py")
    policy = into / "git_annex_remote_s3py" / "annex" / "retrieve_url.py"
    policy.write_text(re.sub(r"^EXPORT_RETRIEVE_URL_MAX_SIZE = .*$",
                             "EXPORT_RETRIEVE_URL_MAX_SIZE = RETRIEVE_URL_MAX_SIZE",
                             policy.read_text(), flags=re.M))
    return into


def prepare(root: Path, server: S3Server, sizes: list[int],
            env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A credential-free clone of a repository exported (public=yes) with one file per size."""
    files = {f"f{size}.bin": os.urandom(size) for size in sizes}
    repo = make_annex_repo(root / "repo", env, files)
    initremote(repo, env, "tree", server, f"repro-{uuid.uuid4().hex[:8]}", "encryption=none",
               "exporttree=yes", "fileprefix=tree/", "public=yes", "autoenable=true")
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    bare = bare_repo(root / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    free = credential_free_env(root / "free-home")
    free["PATH"], free["PYTHONPATH"] = env["PATH"], env.get("PYTHONPATH", "")
    clone = root / "clone"
    run(["git", "clone", "-q", str(bare), str(clone)], root, free)
    run(["git", "annex", "init", "-q", "clone"], clone, free)
    run(["git", "remote", "remove", "origin"], clone, free)
    return clone, free


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024 * 1024, 65537, 65536])
    parser.add_argument("--as-shipped", action="store_true",
                        help="keep the package's export limit (64 KiB)")
    parser.add_argument("--no-injector", action="store_true",
                        help="plain gets (the race is then rare)")
    parser.add_argument("--git-annex-bin", default=os.environ.get("S3PY_TEST_GIT_ANNEX_BIN"))
    options = parser.parse_args()
    counts = {size: [0, 0, 0] for size in options.sizes}  # gets, through the URL, failed
    with tempfile.TemporaryDirectory(prefix="s3py-repro-tail-") as tmp, S3Server() as server:
        root = Path(tmp)
        env = isolated_env(root / "home")
        if options.git_annex_bin:
            env["PATH"] = options.git_annex_bin + os.pathsep + env["PATH"]
        if not options.as_shipped:
            env["PYTHONPATH"] = str(lifted_export_limit(root / "lifted"))
        clone, free = prepare(root, server, options.sizes, env)
        get_env = dict(free)
        if not options.no_injector:
            get_env["LD_PRELOAD"] = str(build_injector(root))
        version = run(["git", "annex", "version", "--raw"], clone, free).stdout.strip()
        for _ in range(options.rounds):
            for size in options.sizes:
                name = f"f{size}.bin"
                got = run(["git", "annex", "--debug", "get", "--from", "tree", name], clone,
                          get_env, check=False)
                tally = counts[size]
                tally[0] += 1
                tally[1] += bool(URL_REPLY.search(got.stderr))
                tally[2] += FAILED in got.stdout + got.stderr
                assert got.returncode == 0 or FAILED in got.stdout + got.stderr, got.stderr
                run(["git", "annex", "drop", "--force", name], clone, free, check=False)
    limit = "64 KiB (as shipped)" if options.as_shipped else "1 MiB (lifted, as before the fix)"
    injector = "none" if options.no_injector else "late tail wake-up + 50 ms after a late open"
    print(f"git-annex {version}; export-mode URL limit {limit}; injector: {injector}")
    print("| size (bytes) | gets | git-annex downloaded | Verification of content failed |")
    print("|---|---|---|---|")
    for size, (gets, through_url, failed) in counts.items():
        print(f"| {size} | {gets} | {through_url} | {failed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
