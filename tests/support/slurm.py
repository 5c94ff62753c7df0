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
import time
from pathlib import Path

from support.local_s3 import free_port

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
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
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
        self.conf = workdir / "slurm.conf"
        self.conf.write_text(CONFIG.format(
            ctld_port=free_port(), slurmd_port=free_port(), dir=workdir, node=NODE, cpus=cpus,
            user=os.environ.get("USER") or "root"))
        key = workdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self.processes: list[subprocess.Popen] = []
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        try:
            self._start("munged", "-F", "--force", f"--socket={workdir}/munge.sock",
                        f"--key-file={key}", f"--pid-file={workdir}/munged.pid",
                        f"--seed-file={workdir}/munged.seed",
                        f"--log-file={workdir}/munged.log")
            self._wait(lambda: (workdir / "munge.sock").exists(), "munged")
            self._start("slurmctld", "-D", "-i", "-f", str(self.conf))
            self._start("slurmd", "-D", "-N", NODE, "-f", str(self.conf))
            self._wait(self._node_idle, "slurmd to register with slurmctld")
        except BaseException:
            self.stop()
            raise

    def _start(self, program: str, *args: str) -> None:
        log = open(self.dir / f"{program}.out", "wb")
        with log:
            self.processes.append(subprocess.Popen(
                [shutil.which(program) or f"/usr/sbin/{program}", *args], env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))

    def _node_idle(self) -> bool:
        shown = subprocess.run(["sinfo", "-h", "-n", NODE, "-o", "%t"], env=self.env,
                               capture_output=True, text=True)
        return shown.stdout.strip() == "idle"

    def _wait(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for proc in self.processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}): "
                                       + self.logs())
            if time.monotonic() > deadline:
                raise RuntimeError(f"waited {timeout} s for {what}: " + self.logs())
            time.sleep(0.1)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.dir.glob("*.out")) + sorted(self.dir.glob("*.log")))

    def sbatch(self, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
        """``sbatch ARGS`` with ``env`` (the job's environment, exported to it) and this
        cluster's configuration."""
        return subprocess.run(["sbatch", *args], cwd=cwd, capture_output=True, text=True,
                              env={**env, "SLURM_CONF": str(self.conf)}, timeout=900)

    def stop(self) -> None:
        """Stop the daemons (slurmd, slurmctld, munged: the reverse of their start) by PID."""
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.processes.clear()
