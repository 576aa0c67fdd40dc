"""`DEV_REDIS_CLUSTER=3 make dev`: a local Redis Cluster (3 masters, one replica each, from Debian's
Redis 7) instead of the embedded Redis, its nodes supervised children stopped with the rest, the
children told REDIS_CLUSTER=true; and how DEV_REDIS_CLUSTER / DEV_REDIS_CLUSTER_PORT are parsed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster

from backend.devtools import launcher
from backend.devtools.devserver.config import DevConfig
from backend.devtools.embedded_services import free_port
from backend.devtools.redis_cluster import free_port_run
from backend.settings import SettingsError

NODE_STARTED = re.compile(r"^devserver \| started redis-(\d+) \(pid (\d+)\)$", re.MULTILINE)


def test_dev_redis_cluster_is_off_by_default_and_takes_three_or_more_masters() -> None:
    assert DevConfig.from_env({}).redis_cluster == 0
    config = DevConfig.from_env({"DEV_REDIS_CLUSTER": "3", "DEV_REDIS_CLUSTER_PORT": "30000"})
    assert (config.redis_cluster, config.redis_cluster_port) == (3, 30000)
    assert DevConfig.from_env({"DEV_REDIS_CLUSTER": "5"}).redis_cluster_port == 47000
    for bad in ("1", "2", "17", "-3"):
        with pytest.raises(SettingsError, match=r"DEV_REDIS_CLUSTER must be 0 \(one Redis\) or between 3 and 16"):
            DevConfig.from_env({"DEV_REDIS_CLUSTER": bad})
    with pytest.raises(SettingsError, match="DEV_REDIS_CLUSTER must be an integer, got 'yes'"):
        DevConfig.from_env({"DEV_REDIS_CLUSTER": "yes"})
    with pytest.raises(SettingsError, match="unset REDIS_URL"):
        DevConfig.from_env({"DEV_REDIS_CLUSTER": "3", "REDIS_URL": "redis://elsewhere:6379/0"})
    # every node also listens on its port + 10000 (the cluster bus): the last bus port must exist
    with pytest.raises(SettingsError, match="DEV_REDIS_CLUSTER_PORT must be between 1024 and 55530"):
        DevConfig.from_env({"DEV_REDIS_CLUSTER": "3", "DEV_REDIS_CLUSTER_PORT": "55531"})


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _roles(port: int) -> list[str]:
    """The flags of every node as the node on `port` sees the cluster (`master` / `slave`)."""
    with redis.Redis(port=port) as client:
        raw = client.execute_command("CLUSTER", "NODES")
    text = raw.decode() if isinstance(raw, bytes) else raw
    return ["master" if "master" in line.split()[2] else "slave" for line in text.strip().splitlines()]


def test_dev_redis_cluster_starts_three_masters_with_replicas_and_stops_every_node() -> None:
    # Not pytest's tmp_path (see test_devserver.py): the unprivileged postgres user must reach it.
    tmp = Path(tempfile.mkdtemp(prefix="cc-dev-cluster-"))
    # six consecutive ports whose bus ports (+10000) are free too: the first of a free run
    base = free_port_run(6)
    show_env = "import os, time; print('env', os.environ['REDIS_CLUSTER'], os.environ['TASK_STREAM_PARTITIONS'], "
    show_env += "os.environ['REDIS_URL'], flush=True); time.sleep(600)"
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "REDIS_URL")) and k != "APP_ENV"}
    env.pop("TASK_STREAM_PARTITIONS", None)
    env.update(
        DATA_DIR=str(tmp / "data"), PORT=str(free_port()), DEV_POSTGRES_PORT=str(free_port()),
        DEV_REDIS_PORT=str(free_port()), DEV_SMTP_PORT=str(free_port()), DEV_REDIS_CLUSTER="3",
        DEV_REDIS_CLUSTER_PORT=str(base), DEV_PROCESSES="worker",
        DEV_WORKER_COMMAND=f'{sys.executable} -c "{show_env}"', DEV_STOP_TIMEOUT="5", NO_COLOR="1",
    )  # fmt: skip
    log = tmp / "devserver.log"
    ports = list(range(base, base + 6))

    def start() -> launcher.Process:
        return launcher.Process.start(
            launcher.module_command("backend.devtools.devserver"),
            env=env, log=log, name="devserver", own_group=False, append=True,
        )  # fmt: skip

    supervisor = start()
    try:
        supervisor.wait_line(rf"^worker \| env true 6 redis://127.0.0.1:{base}/0$", within=120)
        text = log.read_text()
        assert f"REDIS_CLUSTER=true, 3 masters + 3 replicas on ports {base}-{base + 5}" in text, text
        with redis.Redis(port=base) as client:
            info = client.execute_command("CLUSTER", "INFO")
        info = info.decode() if isinstance(info, bytes) else info
        assert "cluster_state:ok" in info and "cluster_size:3" in info, info
        assert sorted(_roles(base)) == ["master"] * 3 + ["slave"] * 3
        with RedisCluster(host="127.0.0.1", port=base) as cluster:
            for i in range(20):  # keys on every master
                cluster.set(f"probe:{i}", i)
        pids = {int(port): int(pid) for port, pid in NODE_STARTED.findall(text)}
        assert sorted(pids) == ports, text

        supervisor.signal(signal.SIGTERM)
        assert supervisor.popen.wait(30) == 0
        text = log.read_text()
        assert "devserver | stopped the Redis Cluster (6 nodes)" in text and "devserver | all stopped" in text
        assert not [pid for pid in pids.values() if _alive(pid)], text
        assert not [port for port in ports if _listening(port) or _listening(port + 10000)], text

        # The next run re-forms the same cluster from every node's nodes.conf: the keys are still there.
        supervisor = start()
        supervisor.wait_line(r"worker \| env true 6 .*\n(.*\n)*worker \| env true 6 ", within=120)
        assert log.read_text().count("creating a Redis Cluster") == 1
        with RedisCluster(host="127.0.0.1", port=base) as cluster:
            assert [cluster.get(f"probe:{i}") for i in range(20)] == [str(i).encode() for i in range(20)]
        supervisor.signal(signal.SIGINT)
        assert supervisor.popen.wait(30) == 0
        assert not [port for port in ports if _listening(port)], log.read_text()
    finally:
        if supervisor.alive:
            supervisor.kill()
        for _port, pid in NODE_STARTED.findall(log.read_text() if log.exists() else ""):
            if _alive(int(pid)):  # after a failure only: a node of this test (each leads its own group)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(pid), signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
