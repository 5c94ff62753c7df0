"""A command run as an interactive shell runs a foreground job in a terminal, so that a test
can type Ctrl-C at it.

A new pseudo-terminal; a small "shell" (the session leader, as a login shell is) starts the
command in a process group of its own, makes it the terminal's foreground group, waits for it,
prints ``[exit N]``, and stays until the test closes ``release`` (a shell that ended at once
would hang the terminal up: SIGHUP to the job's group, which no real shell sends there).
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass, field

SHELL = """
import os, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as an interactive shell: Ctrl-C is the job's
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
job = subprocess.Popen(sys.argv[2:], process_group=0,
                       preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
                                           for s in (signal.SIGINT, signal.SIGTTOU)])
os.tcsetpgrp(0, job.pid)
status = job.wait()
os.tcsetpgrp(0, os.getpgrp())
print(f"[exit {status}]", flush=True)
os.read(int(sys.argv[1]), 1)  # until the test closes its end
"""


@dataclass
class TerminalJob:
    """The job's process id, the terminal's master side, and what the terminal showed."""

    job: int
    master: int
    release: int
    shell: subprocess.Popen
    shown: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def finish(self) -> str:
        """Let the shell end, and return everything the terminal showed."""
        os.close(self.release)
        self.shell.wait(timeout=30)
        assert self.reader is not None
        self.reader.join(timeout=30)  # EIO once nothing holds the terminal any more
        os.close(self.master)
        return b"".join(self.shown).decode(errors="replace")


def run_in_terminal(args: list[str], cwd, env) -> TerminalJob:
    master, slave = os.openpty()
    release_read, release = os.pipe()
    shell = subprocess.Popen([sys.executable, "-c", SHELL, str(release_read), *args], cwd=cwd,
                             env=env, stdin=slave, stdout=slave, stderr=slave,
                             start_new_session=True, pass_fds=(release_read,),
                             preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    os.close(release_read)
    running = TerminalJob(job=0, master=master, release=release, shell=shell)

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: every process holding the terminal has ended
                return
            if not data:
                return
            running.shown.append(data)

    running.reader = threading.Thread(target=read, daemon=True)
    running.reader.start()
    return running


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in found.split()]


def ended_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` (not a child of ours) has ended, waiting at most ``seconds``."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([handle], [], [], seconds)[0])
    finally:
        os.close(handle)
