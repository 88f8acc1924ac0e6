"""A Kafka broker and a Postgres cluster of a test's own, on ports of their own, for a test that
restarts them (the fault test): the shared servers that other tests run on are never touched.

The broker is `deploy/kafka/kafka.sh` with its own instance directory (data, config, log, pid)
and the jars already assembled in the cache; the cluster is a Debian `pg_createcluster` one,
provisioned as `deploy/postgres/postgres.sh` does and dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tideover_testkit.infra import REPO_ROOT
from tideover_testkit.processes import free_port

KAFKA_SH = REPO_ROOT / "deploy/kafka/kafka.sh"
#: The role the services log in as; its password is its name, as deploy/postgres/postgres.sh has it.
ROLE = "tideover"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} not found: install Debian's postgresql (deploy/postgres/postgres.sh does)")
    return path


class PrivateKafka:
    """One KRaft broker on a free port, its files under `instance_dir`."""

    def __init__(self, instance_dir: Path, heap: str = "512m") -> None:
        self.instance_dir = instance_dir
        self.port = free_port()
        self._env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_INSTANCE_DIR": str(instance_dir),
            "KAFKA_HEAP": heap,
        }

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, verb: str) -> None:
        subprocess.run([str(KAFKA_SH), verb], env=self._env, check=True, capture_output=True)

    def start(self) -> PrivateKafka:
        self._run("start")
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 30 s (kafka.sh stop): a controlled shutdown."""
        self._run("stop")

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivatePostgres:
    """A cluster `<name>` of the newest installed PostgreSQL on a free port, with the `tideover`
    role (CREATEDB) that the scratch databases of the tests belong to."""

    def __init__(self, name: str = "tideover_faults") -> None:
        self.name = name
        self.port = free_port()
        self.version = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]

    @property
    def admin_url(self) -> str:
        return f"postgresql://{ROLE}:{ROLE}@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _ctl(self, verb: str) -> None:
        subprocess.run([_tool("pg_ctlcluster"), self.version, self.name, verb], check=True, capture_output=True)

    def start(self) -> PrivatePostgres:
        self.drop()  # left over from a run that was killed
        subprocess.run(
            [_tool("pg_createcluster"), self.version, self.name, "--port", str(self.port)],
            check=True,
            capture_output=True,
        )
        self._ctl("start")
        self._wait_ready()
        sql = f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE}'"
        subprocess.run(
            [_tool("runuser"), "-u", "postgres", "--", "psql", "-q", "-p", str(self.port), "-d", "postgres", "-c", sql],
            check=True,
            capture_output=True,
            cwd="/",
        )
        return self

    def restart(self) -> None:
        """A fast shutdown (every connection terminated) and a start."""
        self._ctl("restart")
        self._wait_ready()

    def drop(self) -> None:
        with suppress(subprocess.CalledProcessError):
            subprocess.run([_tool("pg_dropcluster"), "--stop", self.version, self.name], check=True, capture_output=True)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if subprocess.run([_tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"private Postgres on port {self.port} not ready within {timeout} s")


@contextmanager
def private_servers(instance_dir: Path) -> Iterator[tuple[PrivateKafka, PrivatePostgres]]:
    """A private broker and cluster for the duration of the block; both gone afterwards."""
    kafka, postgres = PrivateKafka(instance_dir / "kafka"), PrivatePostgres()
    try:
        kafka.start()
        postgres.start()
        yield kafka, postgres
    finally:
        with suppress(subprocess.CalledProcessError):
            kafka.stop()
        postgres.drop()
        shutil.rmtree(instance_dir / "kafka" / "data", ignore_errors=True)
