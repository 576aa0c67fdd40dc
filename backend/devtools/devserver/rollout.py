"""The app processes of `make dev` and `make rollout`, which restarts each of them one at a time.

`Fleet` starts and owns the app processes: with DEV_API_PROCESSES=N, `api-1`…`api-N` on free loopback
ports behind the local nginx on PORT (backend.devtools.devserver.ingress), else one `api` on PORT;
`worker` (or `worker-1`…`worker-M` with DEV_WORKER_PROCESSES=M); `scheduler`.

`make rollout` (`python -m backend.devtools.devserver.rollout`, same DATA_DIR) connects to the
devserver's control socket (`control_path(DATA_DIR)`), asks for a rollout and prints each step the
devserver reports; it exits 0 when every process was replaced, 1 on a failed step, 2 when no
devserver runs on that DATA_DIR. The devserver replaces, in order:
- each api behind nginx: start the new one on a free port, wait for its `/health/ready`, point nginx
  at it instead of the old one (reload, old nginx workers finish what they proxy), then SIGTERM the
  old api, which drains (backend.platform.http.drain: 503 on ready, serves its window, closes its
  sockets with 1012, finishes requests in flight) and is waited for up to DEV_STOP_TIMEOUT;
- the single api on PORT (no DEV_API_PROCESSES): stopped, then started again (requests fail meanwhile);
- each worker: start the new one, wait for its first heartbeat (its broker started), then SIGTERM the
  old one, which hands back what it held (tasks.receiver, HardenedStreamBroker.hand_back);
- the scheduler: stopped, then started (two would fire every schedule twice).
A failed step stops the new process and leaves the old one serving. One rollout at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from backend.devtools.devserver import services
from backend.devtools.devserver.config import HOST, ROOT, DevConfig
from backend.devtools.devserver.ingress import Ingress
from backend.devtools.devserver.output import Output
from backend.devtools.devserver.process import Child, RestartPolicy
from backend.devtools.devserver.services import StartupError
from backend.devtools.embedded_services import free_port
from tasks import heartbeat

Say = Callable[[str], Awaitable[None]]
SOCKET_NAME = "devserver.sock"
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 107 bytes


class RolloutFailed(RuntimeError):
    """A step of the rollout failed; the process it replaced is still running."""


def control_path(data_dir: Path) -> Path:
    """The devserver's control socket: in DATA_DIR, or in the temporary directory when that path is too long."""
    path = data_dir.resolve() / SOCKET_NAME
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"career-copilot-dev-{digest}.sock"


def kind_of(name: str) -> str:
    """`api-2` → `api`."""
    return name.split("-", 1)[0]


class Fleet:
    """The app processes of one `make dev` (api, worker, scheduler and the ingress), and their rollout."""

    def __init__(
        self,
        config: DevConfig,
        env: Mapping[str, str],
        output: Output,
        policy: RestartPolicy,
        children: list[Child],
        watch: Callable[[Child], None],
        unwatch: Callable[[Child], None],
    ) -> None:
        self.config, self.env, self.output, self.policy = config, env, output, policy
        self.children = children  # the supervisor's list: what it watches and stops
        self.watch, self.unwatch = watch, unwatch
        self.ports: dict[Child, int] = {}  # apis behind the ingress and their ports
        self.ingress: Ingress | None = None
        self._lock = asyncio.Lock()
        self._server: asyncio.Server | None = None

    def _child(self, name: str, argv: list[str]) -> Child:
        return Child(name, argv, env=self.env, cwd=ROOT, output=self.output, policy=self.policy)

    def api_argv(self, port: int) -> list[str]:
        """The api's command line with `--port` set to `port`."""
        argv = list(self.config.commands["api"])
        if "--port" not in argv:
            raise StartupError("DEV_API_PROCESSES needs an api command line with --port (DEV_API_COMMAND)")
        argv[argv.index("--port") + 1] = str(port)
        return argv

    async def start(self, stopping: Callable[[], None]) -> None:
        """Start every app process (and the ingress), in the order of DEV_PROCESSES; `stopping()` raises
        when a stop was asked for meanwhile."""
        config = self.config
        for name in config.processes:
            stopping()
            if name == "api" and config.api_processes:
                for index in range(config.api_processes):
                    port = free_port()
                    child = self._child(f"api-{index + 1}", self.api_argv(port))
                    self.ports[child] = port
                    self.children.append(child)
                    await child.start()
                ingress = Ingress(config.port, config.data_dir, self.env, self.output, self.policy)
                self.ingress = ingress
                self.children.insert(0, await ingress.start(list(self.ports.values())))
                apis = ", ".join(f"{HOST}:{p}" for p in self.ports.values())
                self.output.say(f"nginx on {config.api_url} -> {apis}")
            elif name == "worker" and config.worker_processes > 1:
                for index in range(config.worker_processes):
                    child = self._child(f"worker-{index + 1}", config.commands["worker"])
                    self.children.append(child)
                    await child.start()
            else:
                child = self._child(name, config.commands[name])
                self.children.append(child)
                await child.start()

    # ---- the control socket ---------------------------------------------------------------------
    async def serve_control(self) -> None:
        path = control_path(self.config.data_dir)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a devserver that was killed (the DATA_DIR lock says none runs)
        self._server = await asyncio.start_unix_server(self._handle, path=str(path))

    async def close_control(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(FileNotFoundError):
                control_path(self.config.data_dir).unlink()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            self.output.say(f"rollout: {line}")
            with contextlib.suppress(ConnectionError):
                writer.write(f"{line}\n".encode())
                await writer.drain()

        try:
            command = (await reader.readline()).decode().strip()
            if command != "rollout":
                await say(f"error: unknown command {command!r}")
                return
            if self._lock.locked():
                await say("error: a rollout is already running")
                return
            try:
                took = await self.roll(say)
            except (RolloutFailed, StartupError) as exc:
                await say(f"error: {exc}")
            else:
                await say(f"ok: every process replaced in {took:.1f}s")
        finally:
            with contextlib.suppress(ConnectionError):
                writer.close()
                await writer.wait_closed()

    # ---- the rollout ----------------------------------------------------------------------------
    async def roll(self, say: Say) -> float:
        """Replace every app process one at a time (module docstring); how long it took."""
        started = time.monotonic()
        async with self._lock:
            for child in [c for c in self.children if kind_of(c.name) in ("api", "worker", "scheduler")]:
                kind = kind_of(child.name)
                if kind == "api" and child in self.ports:
                    await self._roll_api(child, say)
                elif kind == "worker":
                    await self._roll_worker(child, say)
                else:
                    await self._restart(child, say)
        return time.monotonic() - started

    def _replace(self, old: Child, new: Child) -> None:
        self.children[self.children.index(old)] = new
        self.watch(new)

    async def _stop_old(self, old: Child, say: Say, what: str) -> None:
        self.unwatch(old)
        pid = old.process.pid if old.process else "?"
        await say(f"{old.name}: {what} the old one (pid {pid})")
        began = time.monotonic()
        await old.stop(self.config.stop_timeout)
        code = old.process.returncode if old.process else None
        await say(f"{old.name}: old one (pid {pid}) exited ({code}) after {time.monotonic() - began:.1f}s")

    async def _start_new(
        self, name: str, argv: list[str], say: Say, ready: Callable[[Child], Awaitable[None]]
    ) -> Child:
        new = self._child(name, argv)
        await new.start()
        assert new.process is not None
        await say(f"{name}: started the new one (pid {new.process.pid}), waiting until it is ready")
        began = time.monotonic()
        try:
            await ready(new)
        except BaseException:
            await new.stop(self.config.stop_timeout)
            raise
        await say(f"{name}: new one ready after {time.monotonic() - began:.1f}s")
        return new

    async def _roll_api(self, old: Child, say: Say) -> None:
        assert self.ingress is not None
        port = free_port()
        url = f"http://{HOST}:{port}/health/ready"
        new = await self._start_new(old.name, self.api_argv(port), say, lambda child: self._ready_url(child, url))
        self.ports[new] = port
        self._replace(old, new)
        old_port = self.ports.pop(old)
        await self.ingress.set_upstreams([port if p == old_port else p for p in self.ingress.upstreams])
        await say(f"{old.name}: nginx sends to port {port} instead of {old_port}")
        await self._stop_old(old, say, "draining")

    async def _roll_worker(self, old: Child, say: Say) -> None:
        new = await self._start_new(old.name, old.argv, say, self._first_beat)
        self._replace(old, new)
        await self._stop_old(old, say, "stopping (it hands back what it holds)")

    async def _restart(self, old: Child, say: Say) -> None:
        """A process that cannot run twice at once (the scheduler, the api alone on PORT): stop, then start."""
        await self._stop_old(old, say, "stopping (no overlap possible)")
        ready: Callable[[Child], Awaitable[None]] = _started
        if kind_of(old.name) == "api":
            url = f"{self.config.api_url}/health/ready"
            ready = lambda child: self._ready_url(child, url)  # noqa: E731
        new = await self._start_new(old.name, old.argv, say, ready)
        self._replace(old, new)

    async def _ready_url(self, child: Child, url: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.ready_timeout
        while not await asyncio.to_thread(services.answers_200, url):
            _alive(child)
            if loop.time() > deadline:
                raise RolloutFailed(f"{child.name}: {url} did not answer 200 within {self.config.ready_timeout:.0f}s")
            await asyncio.sleep(0.1)

    async def _first_beat(self, child: Child) -> None:
        """Until a process of the child's group wrote its heartbeat (tasks.heartbeat: its broker started)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.ready_timeout
        assert child.process is not None
        while not _beating(child.process.pid):
            _alive(child)
            if loop.time() > deadline:
                raise RolloutFailed(f"{child.name}: no heartbeat within {self.config.ready_timeout:.0f}s")
            await asyncio.sleep(0.1)


async def _started(child: Child) -> None:
    _alive(child)


def _alive(child: Child) -> None:
    if child.process is None or child.process.returncode is not None:
        raise RolloutFailed(f"{child.name}: the new one exited during start-up (its output is above)")


def _beating(group: int) -> bool:
    for path in heartbeat.directory().glob("worker-*"):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            if os.getpgid(int(path.name.rsplit("-", 1)[1])) == group:
                return True
    return False


async def request(data_dir: Path, out: Callable[[str], None]) -> int:
    """Ask the devserver of `data_dir` for a rollout and print its steps; the exit code."""
    path = control_path(data_dir)
    try:
        reader, writer = await asyncio.open_unix_connection(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        out(f"no `make dev` is running on DATA_DIR={data_dir} (no {path}); start it first")
        return 2
    writer.write(b"rollout\n")
    await writer.drain()
    last = ""
    while line := (await reader.readline()).decode():
        last = line.rstrip("\n")
        out(last)
    writer.close()
    if last.startswith("ok"):
        return 0
    if not last:
        out("the devserver closed the connection before the rollout ended")
    return 1


def main() -> int:
    data_dir = Path(os.environ.get("DATA_DIR", "").strip() or ".data").resolve()
    return asyncio.run(request(data_dir, lambda line: print(f"rollout | {line}", flush=True)))


if __name__ == "__main__":
    sys.exit(main())
