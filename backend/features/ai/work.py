"""The AI work kinds, named in one place: the rows each kind claims (`backend.platform.jobs.claim`),
the job each kind runs and how a letter gives up.

Cover letters and analyses send these jobs; the AI sweeper re-sends them when they were lost. Both
import from here, so the sweeper needs neither feature (no import cycle)."""

from __future__ import annotations

from backend.platform.db.tables import Analysis, CoverLetter
from backend.platform.jobs.claim import JobRows

GENERATE_TASK = "cover_letters.generate"  # kwargs: cover_letter_id=str
RUN_TASK = "analyses.run"  # kwargs: analysis_id=str

LETTER_MAX_ATTEMPTS = 5  # generation attempts before a letter is failed
LETTER_INTERRUPTED = "Writing this letter was interrupted too many times. Please try again."

# A claim moves a row to its working status and raises `attempts`, the run's fencing token; a
# letter's claim also counts as a sign of life (`updated_at`, which the sweeper watches).
LETTER_ROWS = JobRows(CoverLetter, ("queued", "streaming"), "streaming", touch="updated_at")
ANALYSIS_ROWS = JobRows(Analysis, ("queued", "running"), "running")
