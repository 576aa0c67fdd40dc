"""The AI work kinds, named in one place: the job each kind runs and how a letter gives up.

Cover letters and analyses send these jobs; the AI sweeper re-sends them when they were lost. Both
import from here, so the sweeper needs neither feature (no import cycle)."""

from __future__ import annotations

GENERATE_TASK = "cover_letters.generate"  # kwargs: cover_letter_id=str
RUN_TASK = "analyses.run"  # kwargs: analysis_id=str

LETTER_MAX_ATTEMPTS = 5  # generation attempts before a letter is failed
LETTER_INTERRUPTED = "Writing this letter was interrupted too many times. Please try again."
