"""support/server_info.py's ``Daemons`` and ``wait_until``, which start and await every test
server (Swift, Ceph, Slurm): a daemon that exits while the test waits for it fails the wait at
once, naming it with its exit status and the end of its log; a wait that times out shows the
logs too; ``stop`` ends each process by its PID."""

from __future__ import annotations

import pytest
from support.server_info import Daemons


def test_a_daemon_that_exits_fails_the_wait_at_once(tmp_path):
    daemons = Daemons(tmp_path)
    daemons.start("broken", "sh", "-c", "echo cannot bind its port; exit 3")
    with pytest.raises(RuntimeError) as caught:
        daemons.wait_until(lambda: False, 600, "broken to answer")
    assert "broken exited (3)" in str(caught.value)
    assert "--- broken.log\ncannot bind its port" in str(caught.value)


def test_a_wait_that_times_out_shows_the_logs_and_stop_ends_the_daemon(tmp_path):
    daemons = Daemons(tmp_path, suffix=".out")
    daemons.start("silent", "sh", "-c", "echo started; exec sleep 600")
    process = daemons.processes["silent"]
    with pytest.raises(RuntimeError, match="silent to answer did not come up within 0 s"):
        daemons.wait_until(lambda: False, 0, "silent to answer")
    daemons.stop()
    assert process.returncode is not None and daemons.pids == {"silent": process.pid}
