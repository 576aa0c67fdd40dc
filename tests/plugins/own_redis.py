"""A Redis of a test's own, to stop and start mid-test, of the session's topology: one embedded
server, or (with TEST_REDIS_CLUSTER) a cluster of three primaries stopped and started as a whole.
A start after a stop begins empty on the same ports, as a restarted Redis without persistence."""

from __future__ import annotations

from pathlib import Path

from backend.devtools.embedded_services import EmbeddedRedis, free_port
from backend.devtools.redis_cluster import LocalRedisCluster
from backend.platform import redis_client


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.cluster: LocalRedisCluster | None = None
        self.single: EmbeddedRedis | None = None
        if redis_client.is_cluster():
            self.cluster = LocalRedisCluster(directory, masters=3, replicas=0)
        else:
            self.single = EmbeddedRedis(directory, free_port(), persistent=False)

    @property
    def url(self) -> str:
        return self.cluster.url if self.cluster is not None else self._single().url(0)

    def start(self) -> None:
        if self.cluster is not None:
            self.cluster.start()
        else:
            self._single().start()

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        else:
            self._single().stop()

    def _single(self) -> EmbeddedRedis:
        assert self.single is not None
        return self.single
