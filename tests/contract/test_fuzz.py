"""A short `make fuzz` in the suite: Schemathesis against the real api (ops/fuzz.py, on this session's
Postgres and Redis) finds no failure and no operation that refuses the data its schema allows.
FUZZ_TEST_SECONDS sets the budget (default 40 s); `make fuzz` runs the long one."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT, SessionServices

SECONDS = int(os.environ.get("FUZZ_TEST_SECONDS", "40"))


def test_schemathesis_finds_no_failure_and_no_schema_mismatch(services: SessionServices) -> None:
    env = {**os.environ, "FUZZ_DATABASE_URL": services.database_url, "FUZZ_REDIS_URL": services.redis_url}
    env.pop("FUZZ_SECONDS", None)
    done = subprocess.run(
        [sys.executable, "ops/fuzz.py", "--seconds", str(SECONDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS + 240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-20_000:]
    assert "Schema validation mismatch" not in output and " passed" in output, output[-20_000:]
