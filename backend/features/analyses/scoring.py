"""Scoring a parsed resume against a job description: pure, deterministic, no I/O.

score = 60 * (job keywords the resume names / job keywords) + 40 * (checks passed / checks), rounded;
with no recognisable keyword in the job, the checks alone make the score. Keywords compare in
`backend.engines.keywords` form ("React" = "React.js", "Postgres" = "PostgreSQL"). Each failed check
and the most important missing keywords turn into a concrete suggestion.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec

from backend.engines import keywords
from backend.engines.llm import offline_writer

ACTION_VERBS = frozenset(
    [
        "achieved",
        "automated",
        "built",
        "championed",
        "coached",
        "created",
        "cut",
        "decreased",
        "delivered",
        "designed",
        "developed",
        "directed",
        "drove",
        "enabled",
        "engineered",
        "established",
        "expanded",
        "grew",
        "implemented",
        "improved",
        "increased",
        "launched",
        "led",
        "managed",
        "mentored",
        "migrated",
        "optimized",
        "optimised",
        "orchestrated",
        "owned",
        "pioneered",
        "produced",
        "raised",
        "reduced",
        "redesigned",
        "refactored",
        "resolved",
        "scaled",
        "shipped",
        "simplified",
        "spearheaded",
        "streamlined",
        "trained",
        "transformed",
        "wrote",
        "analyzed",
        "analysed",
        "architected",
        "coordinated",
        "deployed",
        "introduced",
        "negotiated",
        "organized",
        "organised",
        "planned",
    ]
)
_DATE = re.compile(r"^\d{4}(-\d{2})?(-\d{2})?$")


class Check(msgspec.Struct, frozen=True):
    id: str
    label: str
    passed: bool
    detail: str


class Keywords(msgspec.Struct, frozen=True):
    matched: list[str]
    missing: list[str]


class Findings(msgspec.Struct, frozen=True):
    score: int
    keywords: Keywords
    checks: list[Check]
    suggestions: list[str]


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _highlights(resume: dict[str, Any]) -> list[str]:
    return [_str(h) for w in _dicts(resume.get("work")) for h in w.get("highlights") or [] if _str(h)]


def _as_date(value: str) -> date | None:
    if not _DATE.match(value):
        return None
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def _checks(resume: dict[str, Any], text: str, today: date) -> list[tuple[Check, str]]:
    basics: dict[str, Any] = resume["basics"] if isinstance(resume.get("basics"), dict) else {}
    missing = [field for field in ("name", "email", "phone") if not _str(basics.get(field))]
    sections = {
        "work": bool(_dicts(resume.get("work"))),
        "education": bool(_dicts(resume.get("education"))),
        "skills": bool(_dicts(resume.get("skills"))),
        "summary": bool(_str(basics.get("summary"))),
    }
    absent = [name for name, present in sections.items() if not present]
    highlights = _highlights(resume)
    numbers = [h for h in highlights if re.search(r"\d", h)]
    verbs = [h for h in highlights if h.lstrip("\u2022-*\u2013 ").split(" ", 1)[0].lower().strip(",.") in ACTION_VERBS]
    words = len(re.findall(r"\w+", text)) or len(re.findall(r"\w+", " ".join(highlights)))
    bad_dates: list[str] = []
    for work in _dicts(resume.get("work")) + _dicts(resume.get("education")):
        start, end = _str(work.get("startDate")), _str(work.get("endDate"))
        label = _str(work.get("name")) or _str(work.get("institution")) or "an entry"
        s, e = _as_date(start) if start else None, _as_date(end) if end else None
        if (start and s is None) or (end and e is None) or (s and e and e < s) or (s and s > today):
            bad_dates.append(label)
    quantified = bool(highlights) and len(numbers) * 3 >= len(highlights)
    active = bool(highlights) and len(verbs) * 2 >= len(highlights)
    return [
        (Check("contact_complete", "Contact details complete", not missing,
               "name, email and phone present" if not missing else f"missing: {', '.join(missing)}"),
         f"Add your {', '.join(missing)} to the top of the resume."),
        (Check("sections_present", "Key sections present", not absent,
               "work, education, skills and summary" if not absent else f"missing: {', '.join(absent)}"),
         f"Add the missing section(s): {', '.join(absent)}."),
        (Check("quantified_achievements", "Achievements quantified", quantified,
               f"{len(numbers)} of {len(highlights)} highlights have numbers"),
         "Put numbers on your results (percentages, amounts, users, time saved) in at least a third of your "
         "bullet points."),
        (Check("action_verbs", "Bullets start with action verbs", active,
               f"{len(verbs)} of {len(highlights)} highlights start with an action verb"),
         "Start each bullet point with a strong verb such as led, built, reduced or launched."),
        (Check("length", "Length between 200 and 1,000 words", 200 <= words <= 1000, f"{words} words"),
         "Aim for 200 to 1,000 words: "
         + ("expand your highlights." if words < 200 else "trim older or less relevant entries.")),
        (Check("dates_consistent", "Dates consistent", not bad_dates,
               "every start is before its end and not in the future"
               if not bad_dates else f"check the dates of {', '.join(bad_dates[:3])}"),
         f"Fix the dates of {', '.join(bad_dates[:3])}: ISO dates, start before end, nothing in the future."),
    ]  # fmt: skip


def analyse(resume: dict[str, Any], text: str, job_description: str, *, today: date | None = None) -> Findings:
    """Score, keyword coverage, checks and suggestions for `resume` against `job_description`."""
    mine = offline_writer.resume_skills(resume)
    named = {keywords.key(t) for t in keywords.terms(text or "")} | {keywords.key(s) for s in mine}
    wanted = keywords.terms(job_description, extra=mine)
    matched = [t for t in wanted if keywords.key(t) in named]
    missing = [t for t in wanted if keywords.key(t) not in named]
    checks = _checks(resume, text, today or date.today())
    passed = sum(1 for check, _ in checks if check.passed)
    check_share = passed / len(checks)
    score = round(60 * len(matched) / len(wanted) + 40 * check_share) if wanted else round(100 * check_share)
    suggestions: list[str] = []
    if missing:
        suggestions.append(
            f"The job asks for {', '.join(missing[:8])}. If you have used them, name them in your skills "
            "and in a highlight that shows the result."
        )
    suggestions.extend(advice for check, advice in checks if not check.passed)
    return Findings(
        score=max(0, min(100, score)),
        keywords=Keywords(matched=matched, missing=missing),
        checks=[check for check, _ in checks],
        suggestions=suggestions,
    )
