"""Which modules hold jobs: every `backend/features/<area>/jobs.py`, found on disk, never listed by hand.
The worker and the scheduler import them (here, above the features, so the platform never imports them)."""

from __future__ import annotations

from pathlib import Path

from backend import features


def job_modules() -> tuple[str, ...]:
    """Every `backend/features/<area>/jobs.py` as a module name, sorted."""
    root = Path(features.__file__).parent
    return tuple(sorted(f"{features.__name__}.{path.parent.name}.jobs" for path in root.glob("*/jobs.py")))


TASK_MODULES: tuple[str, ...] = job_modules()
