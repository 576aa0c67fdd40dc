"""Nothing happens at import time, and a bad environment stops a process with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of backend/ and tasks/ with socket connects recorded (and refused).
IMPORT_ALL = """
import importlib, pkgutil, socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(address)
    raise ConnectionRefusedError("no I/O at import time")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
import backend, tasks
for package in (backend, tasks):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name != "backend.devtools.devserver.__main__":
            importlib.import_module(module.name)
print("connects:", attempts)
"""


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_", "REDIS_", "PG"))}
    return subprocess.run(args, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False)


def test_importing_every_module_connects_to_nothing() -> None:
    # libpq defaults would point Piccolo's engine constructor at this socket directory
    result = _run([sys.executable, "-c", IMPORT_ALL], PGHOST="/nonexistent")
    assert result.returncode == 0, result.stderr
    assert "connects: []" in result.stdout, result.stdout
    assert "Unable to fetch server version" not in result.stdout + result.stderr


def test_the_api_refuses_a_bad_environment_with_one_line_naming_the_variable() -> None:
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.entrypoints.api:app_from_env", "--port", "1"]
    result = _run(command, APP_ENV="production")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("backend.entrypoints.api: ") and line.endswith(" must be set when APP_ENV=production")
    assert "DATABASE_URL" in line and "JWT_KEYS" in line
    assert "Traceback" not in result.stderr + result.stdout


def test_migrations_refuse_a_bad_environment_with_one_line() -> None:
    result = _run([sys.executable, "-c", "import piccolo_conf"], APP_ENV="production")
    assert result.returncode == 1
    assert result.stderr.strip() == "piccolo_conf: DATABASE_URL must be set when APP_ENV=production"
