"""Jobs live in their features and are found, not listed: every `backend/features/<area>/jobs.py` is
imported by the worker and the scheduler, and the task names (stored in outbox rows, stream messages
and dead letters) never depend on where the code sits."""

from __future__ import annotations

import importlib
from pathlib import Path

from taskiq import async_shared_broker

from backend import features
from backend.entrypoints.jobs import TASK_MODULES

NAMES = {
    "resumes.parse_version",
    "resumes.sweep_stuck",
    "email.send",
    "email.sweep",
    "reminders.scan",
    "ghosting.scan",
    "reminders.interviews",
    "maintenance.purge_expired",
    "cover_letters.generate",
    "analyses.run",
    "ai.sweep_stuck",
    "accounts.finish_erasure",
    "accounts.sweep_erasures",
}


def test_every_features_jobs_module_is_discovered() -> None:
    on_disk = {f"backend.features.{p.parent.name}.jobs" for p in Path(features.__file__).parent.glob("*/jobs.py")}
    assert set(TASK_MODULES) == on_disk
    assert {"backend.features.resumes.jobs", "backend.features.cover_letters.jobs"} <= on_disk


def test_task_names_are_explicit_and_stable() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)
    product = {name for name in async_shared_broker.get_all_tasks() if not name.startswith("probe.")}
    assert product == NAMES
