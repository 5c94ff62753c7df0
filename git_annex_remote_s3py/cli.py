"""Process entry: guards stdout, runs the protocol loop, or a helper subcommand for people."""

from __future__ import annotations

import io
import logging
import os
import select
import signal
import stat
import sys
import threading
from typing import TYPE_CHECKING, Callable, TextIO

from git_annex_remote_s3py import LOGGER_NAME, __version__

if TYPE_CHECKING:
    import argparse

    from git_annex_remote_s3py.store.base import Store

DESCRIPTION = """\
git-annex external special remote for Amazon S3 and S3-compatible stores.

git-annex runs this program itself; set a remote up with:
  git annex initremote s3 type=external externaltype=s3py encryption=none \\
      bucket=mybucket fileprefix=ds1/ [endpoint=https://...] [public=yes] [exporttree=yes]

Helper subcommands (run inside a git-annex repository):
  presign PATH... [--remote NAME] [--expires SECONDS]   expiring download URLs
  policy [--remote NAME | --bucket NAME [--prefix P]]   bucket policy JSON for public reads
  cleanup-uploads [--remote NAME] [--yes] [--older-than 24h]
                                                        list/abort abandoned multipart uploads
  forget-public-urls [--remote NAME] [--dry-run]        drop web URL records of older versions
  record-old-versions [--remote NAME] [--dry-run]       public URLs of old exported versions
  verify [--remote NAME] [--fix] [--json] [-J N] [--anonymous] [--download FRACTION]
         [PATH... | --all | --branch REF]               check what the remote holds (HEADs only)
"""


# Set to 1 to refuse the ASYNC extension (one process per -J job, as without ASYNC); for
# benchmarks and for debugging a single job's transcript.
NO_ASYNC_ENV = "GIT_ANNEX_REMOTE_S3PY_NO_ASYNC"
POLLRDHUP = getattr(select, "POLLRDHUP", 0)  # Linux: the peer shut its writing side


def serve(stdin: TextIO, stdout: TextIO) -> None:
    """Speak the external special remote protocol; nothing but protocol lines reach stdout."""
    from git_annex_remote_s3py.annex.protocol import DebugBridge, Jobs, run
    from git_annex_remote_s3py.annex.remote import S3Remote
    from git_annex_remote_s3py.annex.session import Session

    session = Session()
    stdin = stop_cleanly(stdin, lambda: session.chosen_store)
    real_stdout = stdout
    sys.stdout = sys.stderr  # a stray print() from any library must not corrupt the protocol
    offer_async = os.environ.get(NO_ASYNC_ENV, "") in ("", "0")
    jobs = Jobs()
    bridge = DebugBridge(jobs)
    # A record becomes one DEBUG line of its message alone (DebugBridge): the caller's file
    # and line, thread, process id and process name that logging looks up for each record
    # are never shown (logging's documented optimisations; this process only).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    package_logger = logging.getLogger(LOGGER_NAME)  # library code logs under __name__
    package_logger.setLevel(logging.DEBUG)
    package_logger.propagate = False
    package_logger.addHandler(bridge)
    try:
        run(stdin, real_stdout, lambda channel: S3Remote(channel, session),
            offer_async=offer_async, jobs=jobs)
    finally:
        package_logger.removeHandler(bridge)
        sys.stdout = real_stdout


# At most this long, after SIGINT, SIGTERM or the end of input mid-upload, to abort the
# process's open multipart uploads before it ends.
STOP_GRACE = 2.0
STOP_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143, "end of input": 1}


def watch_for_hangup(stdin: TextIO, on_hangup: Callable[[], object]) -> None:
    """Call ``on_hangup`` once git-annex closes its end of stdin, also while the main thread is
    busy with a transfer (without ASYNC nobody reads stdin then).

    The pipe is polled, not read: the protocol reads stdin itself, so a request reaches the
    thread that answers it without a hand-over through a queue (measured: ``fsck --fast -J1``
    of 300 keys on moto 1.08 -> 1.03 s). A file or a terminal has no hang-up to wait for.
    """
    try:
        fd = stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return  # poll would answer "readable" at once, forever
    peer_closed = select.POLLHUP | select.POLLERR | select.POLLNVAL | POLLRDHUP

    def wait() -> None:
        poller = select.poll()
        poller.register(fd, POLLRDHUP)  # pipes report POLLHUP unasked; sockets need RDHUP
        while not any(events & peer_closed for _, events in poller.poll()):
            pass
        on_hangup()

    threading.Thread(target=wait, name="s3py-hangup", daemon=True).start()


def say_last_words(line: str) -> None:
    """Write ``line`` to stderr, which git-annex relays; when git-annex is already gone (Ctrl-C
    in a terminal reaches it too, and it ends at once), to the terminal itself, if any."""
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
        return
    except (OSError, ValueError):  # EPIPE: nobody reads our stderr any more
        pass
    try:
        with open("/dev/tty", "w") as terminal:
            terminal.write(line)
    except OSError:  # no controlling terminal: nobody to tell
        pass


def stop_cleanly(stdin: TextIO, current_store: Callable[[], Store | None]) -> TextIO:
    """Stop within about ``STOP_GRACE`` seconds, and without a traceback, on SIGINT, SIGTERM
    or the end of input while a multipart upload is open: this process's open uploads are
    aborted first (``Store.abort_uploads_in_flight``), so none stays behind holding parts.
    Returns the stream to read the protocol from."""
    stop = threading.Event()
    why: list[str] = []

    def request_stop(reason: str) -> None:
        if not why:
            why.append(reason)
        stop.set()

    def on_eof() -> None:
        store = current_store()
        if store is not None and store.uploads_in_flight():
            request_stop("end of input")

    def abort_and_exit() -> None:
        stop.wait()
        store, aborted = current_store(), [0]
        try:
            if store is not None:
                worker = threading.Thread(target=lambda: aborted.__setitem__(
                    0, store.abort_uploads_in_flight(STOP_GRACE)), daemon=True)
                worker.start()
                worker.join(timeout=STOP_GRACE + 0.5)
            say_last_words(f"git-annex-remote-s3py: stopped ({why[0]}); aborted {aborted[0]} "
                           "unfinished multipart upload(s)\n")
        finally:
            os._exit(STOP_EXIT_CODES[why[0]])

    threading.Thread(target=abort_and_exit, name="s3py-stop", daemon=True).start()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, _frame: request_stop(
                signal.Signals(number).name))
    watch_for_hangup(stdin, on_eof)
    return stdin


def fast_exit() -> None:
    """End the process without interpreter teardown once every reply is written.

    Unloading boto3 and friends takes 0.3-0.5 s, and git-annex waits for the process to end
    before it finishes the command: measured in docs/benchmarks.md.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def build_parser() -> argparse.ArgumentParser:
    import argparse  # only the helper subcommands parse arguments (~2 ms per protocol start)

    parser = argparse.ArgumentParser(
        prog="git-annex-remote-s3py", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    presign = sub.add_parser("presign", help="print expiring download URLs for annexed files")
    presign.add_argument("paths", nargs="+")
    presign.add_argument("--remote", help="name of the s3py remote (default: the only one)")
    presign.add_argument("--expires", type=int, default=3600, help="seconds (default 3600)")
    policy = sub.add_parser("policy", help="print a bucket policy that allows public reads")
    policy.add_argument("--remote", help="take bucket and fileprefix from this s3py remote")
    policy.add_argument("--bucket", help="bucket name (default: the remote's)")
    policy.add_argument("--prefix", help="object name prefix (default: the remote's fileprefix)")
    policy.add_argument("--versioning", action="store_true",
                        help="also allow old versions (default: as the remote's versioning=)")
    cleanup = sub.add_parser("cleanup-uploads", help="list (or abort) abandoned multipart uploads")
    cleanup.add_argument("--remote", help="name of the s3py remote (default: the only one)")
    cleanup.add_argument("--yes", action="store_true", help="abort them (default: only list)")
    cleanup.add_argument("--older-than", default="24h", metavar="AGE",
                         help="only uploads begun at least this long ago, e.g. 24h, 90m, 2d, "
                              "3600s (default 24h: younger ones may still be running)")
    forget = sub.add_parser("forget-public-urls",
                            help="remove the web URL records older versions made for public=yes "
                                 "(they counted one S3 object as two copies)")
    forget.add_argument("--remote", help="name of the s3py remote (default: the only one)")
    forget.add_argument("--dry-run", action="store_true", help="only list them")
    record = sub.add_parser("record-old-versions",
                            help="record the public URLs of old versions of a public versioned "
                                 "export that an older s3py left without one")
    record.add_argument("--remote", help="name of the s3py remote (default: the only one)")
    record.add_argument("--dry-run", action="store_true", help="only list them")
    add_verify_parser(sub)
    return parser


def add_verify_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    import argparse

    verify = sub.add_parser(
        "verify", help="check every key git-annex records on the remote without downloading "
                       "it: verified, present, missing, corrupt or unknown (exit 1 on missing "
                       "or corrupt, 2 on unknown)")
    verify.add_argument("paths", nargs="*", metavar="PATH",
                        help="check the keys of these files (default: the whole work tree)")
    verify.add_argument("--remote", help="name of the s3py remote (default: the only one)")
    which = verify.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true",
                       help="every key the location log puts on the remote (key mode)")
    which.add_argument("--branch", metavar="REF", help="the files of this ref")
    verify.add_argument("--fix", action="store_true",
                        help="record missing and corrupt keys as absent from the remote in "
                             "git-annex's location log")
    verify.add_argument("--json", action="store_true", help="one JSON record per key")
    verify.add_argument("-J", "--jobs", type=int, default=8, metavar="N",
                        help="HEAD requests in parallel (default 8)")
    verify.add_argument("--anonymous", action="store_true",
                        help="check reads through the public URL without credentials")
    verify.add_argument("--download", type=float, default=0.0, metavar="FRACTION",
                        help="also download and hash this fraction of the keys no checksum "
                             "proves (e.g. 0.05); nothing is downloaded by default")
    verify.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # the --download sample


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args and not sys.stdin.isatty():
        stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape",
                                 newline="\n")
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="surrogateescape",
                                  newline="\n", write_through=True)
        serve(stdin, stdout)
        if argv is None:
            fast_exit()
        return 0
    parser = build_parser()
    options = parser.parse_args(args)
    if options.command is None:
        parser.print_help()
        return 0
    if options.command == "verify":
        from git_annex_remote_s3py.verify import command

        return command.run(options)
    from git_annex_remote_s3py import commands as tools
    from git_annex_remote_s3py.errors import quiet_when_reader_leaves

    return quiet_when_reader_leaves(lambda: tools.run(options))


if __name__ == "__main__":
    sys.exit(main())
