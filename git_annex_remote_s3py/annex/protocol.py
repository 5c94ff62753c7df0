"""The line protocol fixes annexremote lacks.

annexremote 1.6.6 strips whitespace from every line (a file named ``dup `` became ``dup``),
always says ``VERSION 1``, negotiates no extensions and ends the process on a request without
EXPORT. Here: exact line reading, ``VERSION 2``, the extensions of ``WANTED_EXTENSIONS`` and
``ASYNC`` (each only when git-annex announced it), ``ORDERED``, one-line messages, and a failure
reply (not a dead process) for export requests without a name. The
``SpecialRemote``/``ExportRemote`` API of annexremote stays as it is for ``remote.py``.

The requests, the ``S3Remote`` method (annex/remote.py, a few lines each) that answers each,
and the module that does its work (``-``: answered here; ``+NAME``: a negotiated extension's
answer to the request above it; tests/unit/test_request_table.py holds this table to the
code)::

    INITREMOTE                  initremote              annex/setup.py
    PREPARE                     prepare                 annex/session.py
    LISTCONFIGS                 listconfigs             config.py (SETTINGS_TABLE)
    EXTENSIONS                  -                       negotiate (WANTED_EXTENSIONS)
    GETORDERED                  -                       -
    GETCOST                     getcost                 -
    GETAVAILABILITY             getavailability         -
    +UNAVAILABLERESPONSE        unavailable_reason      annex/info.py
    GETINFO                     info                    annex/info.py
    WHEREIS                     whereis                 urls.py
    TRANSFER STORE              transfer_store          store (put_file)
    TRANSFER RETRIEVE           transfer_retrieve       store (get_file), annex/s3urls.py
    +TRANSFER-RETRIEVE-URL      retrieve_url            annex/retrieve_url.py
    CHECKPRESENT                checkpresent            store (head), annex/s3urls.py
    REMOVE                      remove                  store (delete)
    CLAIMURL                    claimurl                annex/s3urls.py
    CHECKURL                    checkurl                annex/s3urls.py
    EXPORTSUPPORTED             exportsupported         -
    EXPORT                      -                       - (names the next request's file)
    TRANSFEREXPORT STORE        transferexport_store    store (put_file), annex/versions.py
    TRANSFEREXPORT RETRIEVE     transferexport_retrieve store (get_file), annex/versions.py
    +TRANSFER-RETRIEVE-URL      retrieve_url            annex/retrieve_url.py
    CHECKPRESENTEXPORT          checkpresentexport      store (head)
    REMOVEEXPORT                removeexport            store (delete), annex/versions.py
    REMOVEEXPORTDIRECTORY       removeexportdirectory   - (S3 has no directories)
    RENAMEEXPORT                renameexport            store (copy, head, delete)
    IMPORTSUPPORTED             importsupported         -
    LISTIMPORTABLECONTENTS      list_importable         annex/importing.py
    IMPORT                      -                       - (names the next request's file)
    IMPORTKEY                   import_key              annex/importing.py
    RETRIEVEIMPORT              retrieve_import         annex/importing.py
    CHECKPRESENTIMPORT          checkpresent_import     annex/importing.py
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import traceback
import types
from collections import deque
from typing import TYPE_CHECKING, Callable, Iterator, Protocol, TextIO, TypeVar, cast

import annexremote
from annexremote import AnnexError, ProtocolError, UnexpectedMessage, UnsupportedRequest

from git_annex_remote_s3py.errors import one_line

VERSION_LINE = "VERSION 2"
NO_EXPORT_NAME = "request arrived without a preceding EXPORT name"
NO_IMPORT_NAME = "request arrived without a preceding IMPORT name"
ORPHAN_LINES = 10_000  # DEBUG lines of threads serving no job kept for the next job (at most)
# Extensions s3py uses, in the order it names them; each only if git-annex announced it (both
# 10.20230126 and 10.20261026 refuse a remote that names one they did not announce).
# CHECKPRESENT-URL is left out on purpose: git-annex would turn a 403 into "absent".
WANTED_EXTENSIONS = ("INFO", "UNAVAILABLERESPONSE", "TRANSFER-RETRIEVE-URL", "IMPORTKEY")
Result = TypeVar("Result")
if TYPE_CHECKING:
    from typing import ParamSpec  # Python 3.10: the type checker's only

    Params = ParamSpec("Params")


def negotiate(announced: list[str], offer_async: bool) -> list[str]:
    """The EXTENSIONS s3py answers: the wanted ones git-annex announced, ASYNC if offered."""
    wanted = WANTED_EXTENSIONS + (("ASYNC",) if offer_async else ())
    return [name for name in wanted if name in announced]


def strip_newline(line: str) -> str:
    """Remove only the final ``\n``: names may start or end with spaces, or with ``\r``
    (git-annex ends its lines with ``\n`` alone, on every platform)."""
    return line[:-1] if line.endswith("\n") else line


class RequestMethod(Protocol):
    """A ``do_*`` method of the protocol: the request's parameters in, the reply line (or
    lines, streamed) out."""

    def __call__(self, *params: str) -> str | Iterator[str] | None: ...


class RemoteBug(Exception):
    """An exception the remote's own code raised (not a malformed request): a bug."""

    def __init__(self, error: Exception, trace: str) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error, self.trace = error, trace


class GuardedRemote:
    """The remote as the protocol sees it: an exception from the remote's code other than
    annexremote's own (RemoteError, UnsupportedRequest, ...) arrives as ``RemoteBug``, so a
    TypeError or ValueError in a method is never mistaken for a malformed request."""

    def __init__(self, remote: annexremote.SpecialRemote) -> None:
        self._remote = remote
        # the guarded methods of the remote's class, made once (functools.wraps costs ~20
        # calls, and the protocol looks a method up for every request)
        self._methods: dict[str, object] = {}

    def __getattr__(self, name: str) -> object:
        made = self._methods.get(name)
        if made is not None:
            return made
        value: object = _guarded(getattr, self._remote, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: object, **kwargs: object) -> object:
            return _guarded(value, *args, **kwargs)

        if isinstance(value, types.MethodType) and value.__self__ is self._remote:
            self._methods[name] = call  # a method of the class: the same at every lookup
        return call


def _guarded(function: Callable[Params, Result], *args: Params.args,
             **kwargs: Params.kwargs) -> Result:
    try:
        return function(*args, **kwargs)
    except AnnexError:
        raise
    except Exception as exc:
        raise RemoteBug(exc, traceback.format_exc()) from exc


class ExactProtocol(annexremote.Protocol):
    """annexremote's request parser without whitespace stripping and with safer replies."""

    def __init__(self, remote: annexremote.SpecialRemote, offer_async: bool) -> None:
        super().__init__(GuardedRemote(remote))
        self.version = VERSION_LINE
        self.offer_async = offer_async

    def command(self, line: str) -> str | Iterator[str] | None:
        if not line:
            raise ProtocolError("empty line")
        parts = line.split(" ", 1)
        method = self.lookupMethod(parts[0]) or self.do_UNKNOWN
        try:
            reply = method(*parts[1:])
        except TypeError as exc:
            raise ProtocolError(f"malformed request {parts[0]!r}: {exc}") from exc
        if method != self.do_EXPORT:
            self.exporting = False
        return reply

    def lookupMethod(self, command: str) -> RequestMethod | None:
        if not command.isupper():  # annexremote would accept lower-case commands
            return None
        return cast("RequestMethod | None", super().lookupMethod(command))  # untyped there

    def do_EXTENSIONS(self, param: str = "") -> str:
        self.extensions = param.split(" ")
        return " ".join(["EXTENSIONS", *negotiate(self.extensions, self.offer_async)])

    def uses(self, extension: str) -> bool:
        """Whether ``extension`` was negotiated (announced by git-annex and echoed by us)."""
        return extension in negotiate(self.extensions, self.offer_async)

    def do_GETORDERED(self) -> str:
        """s3py writes every download front to back, a resumed one too: proxies may stream."""
        return "ORDERED"

    def do_GETAVAILABILITY(self) -> str:
        """``AVAILABILITY UNAVAILABLE`` (only with UNAVAILABLERESPONSE: older git-annex takes
        it for a protocol error) when the remote cannot be used now; else as annexremote."""
        if self.uses("UNAVAILABLERESPONSE"):
            reason = self.remote.unavailable_reason()
            if reason:
                self.remote.debug(f"unavailable: {reason}")
                return "AVAILABILITY UNAVAILABLE"
        return cast(str, super().do_GETAVAILABILITY())  # annexremote is untyped

    def _retrieve_url_reply(self, param: str, remote_file: str | None) -> str | None:
        """``TRANSFER-RETRIEVE-URL Key Url`` when negotiated and the remote names a URL that
        git-annex can download itself (docs/benchmarks.md); None keeps s3py's own transfer."""
        method, _, rest = param.partition(" ")
        key, has_file, _ = rest.partition(" ")
        if method != "RETRIEVE" or not key or not has_file or not self.uses(
                "TRANSFER-RETRIEVE-URL"):
            return None
        url = self.remote.retrieve_url(key, remote_file)
        return f"TRANSFER-RETRIEVE-URL {key} {url}" if url else None

    def do_TRANSFER(self, param: str) -> str:
        return self._retrieve_url_reply(param, None) or cast(str, super().do_TRANSFER(param))

    def do_TRANSFEREXPORT(self, param: str) -> str:
        if not self.exporting:
            method, _, rest = param.partition(" ")
            key = rest.split(" ", 1)[0]
            return f"TRANSFER-FAILURE {method} {key} {NO_EXPORT_NAME}"
        return (self._retrieve_url_reply(param, str(self.exporting))
                or cast(str, super().do_TRANSFEREXPORT(param)))

    def do_CHECKPRESENTEXPORT(self, key: str) -> str:
        if not self.exporting:
            return f"CHECKPRESENT-UNKNOWN {key} {NO_EXPORT_NAME}"
        return cast(str, super().do_CHECKPRESENTEXPORT(key))

    def do_REMOVEEXPORT(self, key: str) -> str:
        if not self.exporting:
            return f"REMOVE-FAILURE {key} {NO_EXPORT_NAME}"
        return cast(str, super().do_REMOVEEXPORT(key))

    def do_RENAMEEXPORT(self, param: str) -> str:
        key, sep, new_name = param.partition(" ")
        if not sep or not key:
            raise ProtocolError("RENAMEEXPORT needs Key NewName")
        if not self.exporting:
            return f"RENAMEEXPORT-FAILURE {key}"
        try:
            self.remote.renameexport(key, self.exporting, new_name)
        except annexremote.RemoteError:
            return f"RENAMEEXPORT-FAILURE {key}"
        return f"RENAMEEXPORT-SUCCESS {key}"


class ImportProtocol(ExactProtocol):
    """importtree=yes for external remotes (git-annex 10.20261026; the wire format it really
    speaks, docs/import.md): IMPORTSUPPORTED, LISTIMPORTABLECONTENTS, IMPORT name (for the
    requests after it), IMPORTKEY, RETRIEVEIMPORT, CHECKPRESENTIMPORT."""

    importing: str | None = None

    def do_IMPORTSUPPORTED(self) -> str:
        return ("IMPORTSUPPORTED-SUCCESS" if self.remote.importsupported()
                else "IMPORTSUPPORTED-FAILURE")

    def do_LISTIMPORTABLECONTENTS(self) -> Iterator[str]:
        """A streamed reply (``Channel.handle``): each object's two lines as its listing page
        arrives (memory stays flat at any number of objects); a failure after some of them
        fails the whole list (git-annex keeps nothing of a failed listing)."""
        try:
            for item in self.remote.list_importable():
                yield f"IMPORTABLECONTENT {item.size} {item.name}"
                yield f"IMPORTABLECONTENTIDENTIFIER {item.cid}"
        except annexremote.RemoteError as exc:
            yield one_line(f"LISTIMPORTABLECONTENTS-FAILURE {exc}")
            return
        yield "LISTIMPORTABLECONTENTS-SUCCESS"

    def do_IMPORT(self, name: str) -> None:
        """Names the file of the import requests that follow (until the next IMPORT)."""
        self.importing = name

    def do_IMPORTKEY(self, param: str) -> str:
        size, sep, cid = param.partition(" ")
        if not sep or not size.isdigit() or not cid:
            raise ProtocolError("IMPORTKEY needs Size ContentIdentifier")
        if self.importing is None:
            return f"IMPORTKEY-FAILURE {NO_IMPORT_NAME}"
        try:
            return f"IMPORTKEY-SUCCESS {self.remote.import_key(self.importing, int(size), cid)}"
        except annexremote.RemoteError as exc:
            return one_line(f"IMPORTKEY-FAILURE {exc}")

    def do_RETRIEVEIMPORT(self, local_file: str) -> str:
        if self.importing is None:
            return f"RETRIEVEIMPORT-FAILURE {NO_IMPORT_NAME}"
        try:
            self.remote.retrieve_import(self.importing, local_file)
        except annexremote.RemoteError as exc:
            return one_line(f"RETRIEVEIMPORT-FAILURE {exc}")
        return "RETRIEVEIMPORT-SUCCESS"

    def do_CHECKPRESENTIMPORT(self, key: str) -> str:
        if self.importing is None:
            return f"CHECKPRESENT-UNKNOWN {key} {NO_IMPORT_NAME}"
        try:
            present = self.remote.checkpresent_import(key, self.importing)
        except annexremote.RemoteError as exc:
            return one_line(f"CHECKPRESENT-UNKNOWN {key} {exc}")
        return f"CHECKPRESENT-{'SUCCESS' if present else 'FAILURE'} {key}"


class LineSink:
    """Writes whole protocol lines to one stream; shared by every job of the process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream, self._lock = stream, threading.Lock()
        self._held: list[str] = []

    def write(self, line: str, flush: bool = True) -> None:
        """One line; ``flush=False`` holds it here for the next flushed line to carry (a DEBUG
        line rides with the reply that follows it: one pipe write, one wake-up of git-annex).
        Held here, not in the stream's buffer: where PYTHONUNBUFFERED is set (containers often
        set it) that buffer writes every line at once."""
        with self._lock:
            self._held.append(line + "\n")
            if flush:
                self._write_held()

    def flush(self) -> None:
        with self._lock:
            self._write_held()

    def _write_held(self) -> None:
        text = "".join(self._held)
        self._held.clear()
        self._stream.write(text)
        self._stream.flush()


class Jobs:
    """Which channel speaks for the current thread: the job's own in ASYNC mode, else the
    main one. Threads that serve no job (transfer workers) have none in ASYNC mode."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, Channel] = {}
        self._main: Channel | None = None
        self.asynchronous = False
        self._orphans: deque[str] = deque(maxlen=ORPHAN_LINES)

    def orphan(self, line: str) -> None:
        """Keep a DEBUG line of a thread that serves no job, for the next job that speaks."""
        with self._lock:
            self._orphans.append(line)

    def take_orphans(self) -> list[str]:
        with self._lock:
            taken = list(self._orphans)
            self._orphans.clear()
        return taken

    def register(self, channel: Channel, main: bool = False) -> None:
        with self._lock:
            self._by_thread[threading.get_ident()] = channel
            if main:
                self._main = channel

    def current(self) -> Channel | None:
        with self._lock:
            found = self._by_thread.get(threading.get_ident())
            if found is None and not self.asynchronous:
                return self._main
            return found


class DebugBridge(logging.Handler):
    """Each log record becomes one ``DEBUG`` protocol line (``git annex --debug`` shows it)
    through the channel of the job that logged it; records from threads that serve no job
    in ASYNC mode (boto3's transfer threads) ride with the next line a job sends (an
    unprefixed line would break ASYNC framing, and stderr is the user's terminal)."""

    def __init__(self, jobs: Jobs) -> None:
        super().__init__(level=logging.DEBUG)
        self.jobs = jobs

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = one_line(self.format(record))
            channel = self.jobs.current()
            if channel is None:
                self.jobs.orphan(line)
            else:
                channel.debug(line)
        except Exception:  # a log line must never break a request
            self.handleError(record)


class Channel(annexremote.Master):
    """annexremote's Master speaking for one job: exact lines, optional ``J n`` prefix."""

    def __init__(self, sink: LineSink, read_line: Callable[[], str], job: str | None = None,
                 offer_async: bool = False, jobs: Jobs | None = None) -> None:
        super().__init__(output=None)
        self.sink, self.read_line, self.job, self.offer_async = sink, read_line, job, offer_async
        self.jobs = jobs  # in ASYNC mode: whose DEBUG lines of no job this job carries
        # DEBUG and INFO lines that wait for the end of a streamed reply (``_stream``)
        self.deferred: deque[str] | None = None

    def LinkRemote(self, remote: annexremote.SpecialRemote) -> None:
        self.remote = remote
        self.protocol = ImportProtocol(remote, self.offer_async)

    def _send(self, *args: object, held: bool = False) -> None:
        """Write one message; ``held`` (and every DEBUG) leaves it in the buffer for the
        next message to carry, so that git-annex wakes once for both."""
        line = " ".join(str(a) for a in args)
        word = line.split(" ", 1)[0]
        if self.deferred is not None and word in ("DEBUG", "INFO"):
            self.deferred.append(line)
            return
        parts = line.split("\n")  # LISTCONFIGS and GETINFO replies are several lines
        held = held or word == "DEBUG"
        if self.job and self.jobs is not None and self.deferred is None:
            for orphan in self.jobs.take_orphans():
                self.sink.write(f"J {self.job} DEBUG {orphan}", flush=False)
        for number, part in enumerate(parts, 1):
            self.sink.write(f"J {self.job} {part}" if self.job else part,
                            flush=not held and number == len(parts))

    def progress_before_reply(self, size: int) -> None:
        """The last PROGRESS of a transfer, whose reply is written right after it."""
        self._send("PROGRESS", int(size), held=True)

    def _read(self) -> str:
        line = self.read_line()
        if line == "":
            raise UnexpectedMessage("git-annex closed the connection")
        return strip_newline(line)

    def _ask(self, request: str, reply_keyword: str, reply_count: int) -> list[str]:
        self._send(request)
        words = self._read().split(" ", reply_count)
        if words and words[0] == reply_keyword:
            words.extend([""] * (reply_count + 1 - len(words)))
            return words[1:]
        raise UnexpectedMessage(f"expected {reply_keyword}, got {' '.join(words)[:80]!r}")

    def _askvalues(self, request: str) -> list[str]:
        self._send(request)
        values: list[str] = []
        while True:
            words = self._read().split(" ", 1)
            if words[0] != "VALUE":
                raise UnexpectedMessage("expected VALUE")
            if len(words) == 1 or words[1] == "":
                return values
            values.append(words[1])

    def info(self, message: str) -> None:
        if "INFO" in self.protocol.extensions:
            self._send("INFO", one_line(message))
        else:
            self.debug(one_line(message))

    def handle(self, line: str) -> bool:
        """Answer one request line; return False when the process must stop."""
        try:
            reply = self.protocol.command(line)
            if isinstance(reply, str) and reply:
                self._send(reply)
            elif reply:
                self._stream(reply)
        except UnsupportedRequest:
            self._send("UNSUPPORTED-REQUEST")
        except RemoteBug as bug:  # loud: ERROR, with the remote's traceback in DEBUG
            self._report_bug(bug.error, bug.trace)
            return False
        except (ProtocolError, UnexpectedMessage, ValueError, SyntaxError) as exc:
            # annexremote raises SyntaxError for a request missing its parameters
            self._send("ERROR", one_line(f"protocol error: {exc}"))
            return False
        except Exception as exc:  # a bug: tell git-annex loudly, with the traceback in DEBUG
            self._report_bug(exc, traceback.format_exc())
            return False
        return True

    def _stream(self, lines: Iterator[str]) -> None:
        """A reply of many lines, each written as it comes. From its first line to its last,
        DEBUG and INFO lines wait (up to ORPHAN_LINES, the newest): git-annex starts reading a
        multi-line reply over after any other message, so a DEBUG line between two
        IMPORTABLECONTENT lines would lose every object listed before it."""
        deferred: deque[str] = deque(maxlen=ORPHAN_LINES)
        try:
            for line in lines:
                self._send(line)
                self.deferred = deferred
        finally:
            self.deferred = None
            for waited in deferred:
                self._send(waited, held=True)
            self.sink.flush()

    def _report_bug(self, error: Exception, trace: str) -> None:
        for tb_line in trace.splitlines():
            self.debug(tb_line)
        self._send("ERROR", one_line(f"internal error: {type(error).__name__}: {error}"))

    def serve(self) -> None:
        """Serve requests until git-annex closes the pipe (non-ASYNC, or one ASYNC job)."""
        while True:
            line = self.read_line()
            if line == "":
                return
            if not self.handle(strip_newline(line)):
                raise SystemExit(1)


RemoteFactory = Callable[[Channel], object]


def run(stdin: TextIO, stdout: TextIO, make_remote: RemoteFactory,
        offer_async: bool = True, jobs: Jobs | None = None) -> None:
    """Speak the protocol on stdin/stdout until EOF; switch to per-job threads on ASYNC.
    ``jobs`` learns which channel serves which thread (for ``DebugBridge``)."""
    jobs = jobs or Jobs()
    sink = LineSink(stdout)
    main = Channel(sink, stdin.readline, offer_async=offer_async)
    main.LinkRemote(make_remote(main))
    jobs.register(main, main=True)
    sink.write(VERSION_LINE)
    try:
        while True:
            raw = stdin.readline()
            if raw == "":
                return
            line = strip_newline(raw)
            if line.startswith("J ") and "ASYNC" in main.protocol.extensions and offer_async:
                jobs.asynchronous = True
                _serve_async(stdin, sink, make_remote, main.protocol.extensions, first=line,
                             jobs=jobs)
                return
            if not main.handle(line):
                raise SystemExit(1)
    finally:
        sink.flush()  # DEBUG lines held for a reply that did not follow them


def _serve_async(stdin: TextIO, sink: LineSink, make_remote: RemoteFactory,
                 extensions: list[str], first: str, jobs: Jobs) -> None:
    """One thread per job; the reader routes ``J n ...`` lines to the job's inbox."""
    inboxes: dict[str, queue.SimpleQueue[str]] = {}  # SimpleQueue: one lock per hand-over
    threads: list[threading.Thread] = []
    failed = threading.Event()

    def job_loop(channel: Channel) -> None:
        jobs.register(channel)
        try:
            channel.serve()
        except SystemExit:
            failed.set()

    # An EXPORT is held until the next line: git-annex sends a newline in a file name raw,
    # so an unprefixed line after it continues the name (and the request then fails cleanly).
    held: list[str] = []
    line: str | None = first
    while line is not None:
        if line.startswith("J "):
            _, job, rest = (line.split(" ", 2) + [""])[:3]
            if job not in inboxes:
                inbox: queue.SimpleQueue[str] = queue.SimpleQueue()
                inboxes[job] = inbox
                channel = Channel(sink, inbox.get, job=job, offer_async=True, jobs=jobs)
                channel.LinkRemote(make_remote(channel))
                channel.protocol.extensions = list(extensions)
                thread = threading.Thread(target=job_loop, args=(channel,), daemon=True)
                thread.start()
                threads.append(thread)
            if held:
                inboxes[held[0]].put(held[1] + "\n")
            held = [job, rest] if rest.startswith("EXPORT ") else []
            if not held:
                inboxes[job].put(rest + "\n")
        elif held:
            held[1] += "\n" + line
        elif line.startswith("ERROR"):
            break
        else:
            sink.write("ERROR " + one_line(f"expected a J n message in ASYNC mode: {line[:60]!r}"))
            break
        if failed.is_set():
            break
        raw = stdin.readline()
        line = strip_newline(raw) if raw else None
    for inbox in inboxes.values():
        inbox.put("")
    for thread in threads:
        thread.join(timeout=5)
    if failed.is_set():
        raise SystemExit(1)
