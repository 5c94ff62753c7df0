"""A single-node Slurm cluster on 127.0.0.1 for the tests: munged, slurmctld and slurmd from
Debian's packages (``make slurm`` installs them), started in the foreground as child processes,
configured in a temporary directory and stopped by PID; no systemd, nothing in /etc.

The node declares 4 CPUs (``config_overrides``: more than a 2-core machine has) so that the
tasks of a job array run at once, and tracks processes without cgroups (``linuxproc``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.local_s3 import free_port
from support.server_info import Daemons

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch")
NODE = "s3pynode"
CONFIG = """\
ClusterName=s3pytest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={dir}/munge.sock
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/log/slurmctld.log
SlurmdLogFile={dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName={node} NodeAddr=127.0.0.1 NodeHostname=localhost CPUs={cpus} RealMemory=1000
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def missing_programs() -> list[str]:
    return [name for name in DAEMONS if shutil.which(name) is None
            and not Path("/usr/sbin", name).exists()]


class SlurmCluster:
    """munged + slurmctld + slurmd; ``env`` (``SLURM_CONF``) points sbatch and friends at it."""

    def __init__(self, workdir: Path, cpus: int = 4) -> None:
        missing = missing_programs()
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not installed: run make slurm "
                               "(Debian's slurmctld, slurmd, slurm-client and munge)")
        self.dir = workdir
        (workdir / "state").mkdir(parents=True)
        (workdir / "spool").mkdir()
        (workdir / "log").mkdir()
        self.conf = workdir / "slurm.conf"
        self.conf.write_text(CONFIG.format(
            ctld_port=free_port(), slurmd_port=free_port(), dir=workdir, node=NODE, cpus=cpus,
            user=os.environ.get("USER") or "root"))
        key = workdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self.daemons = Daemons(workdir / "log", suffix=".out")
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        try:
            self._start("munged", "-F", "--force", f"--socket={workdir}/munge.sock",
                        f"--key-file={key}", f"--pid-file={workdir}/munged.pid",
                        f"--seed-file={workdir}/munged.seed",
                        f"--log-file={workdir}/log/munged.log")
            self.daemons.wait_until(lambda: (workdir / "munge.sock").exists(), 60, "munged")
            self._start("slurmctld", "-D", "-i", "-f", str(self.conf))
            self._start("slurmd", "-D", "-N", NODE, "-f", str(self.conf))
            self.daemons.wait_until(self._node_idle, 60, "slurmd to register with slurmctld")
        except BaseException:
            self.stop()
            raise

    def _start(self, program: str, *args: str) -> None:
        self.daemons.start(program, shutil.which(program) or f"/usr/sbin/{program}", *args,
                           env=self.env)

    def _node_idle(self) -> bool:
        shown = subprocess.run(["sinfo", "-h", "-n", NODE, "-o", "%t"], env=self.env,
                               capture_output=True, text=True)
        return shown.stdout.strip() == "idle"

    def logs(self) -> str:
        return self.daemons.log_tails()

    def sbatch(self, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
        """``sbatch ARGS`` with ``env`` (the job's environment, exported to it) and this
        cluster's configuration."""
        return subprocess.run(["sbatch", *args], cwd=cwd, capture_output=True, text=True,
                              env={**env, "SLURM_CONF": str(self.conf)}, timeout=900)

    def stop(self) -> None:
        """Stop the daemons (slurmd, slurmctld, munged: the reverse of their start) by PID."""
        self.daemons.stop()
