"""The offline cover-letter writer behind the builtin provider: deterministic and grounded.

Every fact in the letter comes from the parsed resume (JSON Resume) or from the job the
user named: the company and role applied for, the resume skills the job description asks for
(`backend.engines.keywords`), and the work highlights that share most of those skills (numbers break
ties). Free text of the resume is quoted only from work highlights, and a highlight that reads like
an instruction to a model is never used: the resume is data (prompt injection).
"""

from __future__ import annotations

import re
from typing import Any

from backend.engines import keywords
from backend.engines.llm.base import Brief

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules)\b|\bsystem prompt\b|\boutput only\b"
    r"|\byou are (now )?(a|an|the)\b|\bdo not (parse|follow)\b",
    re.IGNORECASE,
)
_OPENINGS = {
    "professional": "I am writing to apply for the {role} position at {company}.",
    "enthusiastic": (
        "I was excited to see the {role} opening at {company}, and I would love to bring my work to your team."
    ),
    "friendly": "I'd like to introduce myself as a candidate for the {role} role at {company}.",
    "concise": "Please consider me for the {role} position at {company}.",
}
_CLOSINGS = {
    "professional": (
        "Thank you for considering my application. "
        "I would welcome the chance to discuss how I can contribute to {company}."
    ),
    "enthusiastic": "Thank you for your time. I would be thrilled to talk about how I can help {company} succeed.",
    "friendly": "Thanks for reading. I'd be glad to chat about how I could help at {company}.",
    "concise": "Thank you for your consideration; I look forward to speaking with you.",
}


def safe(text: str) -> bool:
    """False for resume text that reads like an instruction to a model."""
    return not _INSTRUCTION.search(text)


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _sentence(highlight: str) -> str:
    text = highlight.strip().lstrip("\u2022-*\u2013 ").rstrip(" .;")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def resume_skills(resume: dict[str, Any]) -> list[str]:
    """Every skill the resume names: skill names and keywords, then skills named in highlights."""
    names: list[str] = []
    for skill in resume.get("skills") or []:
        if isinstance(skill, dict):
            names.append(_str(skill.get("name")))
            names.extend(_str(k) for k in skill.get("keywords") or [])
    text = " ".join(
        _str(h) for work in resume.get("work") or [] if isinstance(work, dict) for h in work.get("highlights") or []
    )
    found = {keywords.key(n): keywords.canonical(n) for n in names if n}
    for term in keywords.terms(text):
        found.setdefault(keywords.key(term), term)
    return list(found.values())


def matched_skills(resume: dict[str, Any], job_description: str) -> list[str]:
    """Resume skills the job description asks for, in the job's order."""
    mine = resume_skills(resume)
    wanted = keywords.terms(job_description, extra=mine)
    have = {keywords.key(s) for s in mine}
    return [term for term in wanted if keywords.key(term) in have]


def _highlights(resume: dict[str, Any], wanted: set[str], limit: int) -> list[tuple[dict[str, Any], str]]:
    scored: list[tuple[int, int, int, dict[str, Any], str]] = []
    order = 0
    for work in resume.get("work") or []:
        if not isinstance(work, dict):
            continue
        for raw in work.get("highlights") or []:
            text = _str(raw)
            if not text or not safe(text):
                continue
            overlap = len({keywords.key(t) for t in keywords.terms(text)} & wanted)
            numbers = 1 if re.search(r"\d", text) else 0
            scored.append((-overlap, -numbers, order, work, text))
            order += 1
    scored.sort(key=lambda item: item[:3])
    return [(work, text) for *_, work, text in scored[:limit]]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def write_letter(brief: Brief) -> str:
    """A complete, readable letter for `brief` (kind `cover_letter`); the same brief, the same letter."""
    resume, tone = brief.resume, brief.tone if brief.tone in _OPENINGS else "professional"
    basics: dict[str, Any] = resume["basics"] if isinstance(resume.get("basics"), dict) else {}
    name = _str(basics.get("name")) or "Applicant"
    company = brief.company.strip() or "your company"
    role = brief.role.strip() or "open"
    works = [w for w in resume.get("work") or [] if isinstance(w, dict) and _str(w.get("name"))]
    matched = matched_skills(resume, brief.job_description)
    wanted = {keywords.key(s) for s in matched}

    paragraphs = [f"Dear Hiring Team at {company},"] if brief.company.strip() else ["Dear Hiring Manager,"]
    opening = _OPENINGS[tone].format(role=role, company=company)
    if works:
        latest = works[0]
        position = _str(latest.get("position"))
        at = f"{position} at {_str(latest['name'])}" if position else f"my work at {_str(latest['name'])}"
        if _str(latest.get("endDate")):
            opening += f" Most recently, as {at}, I built the kind of experience this role calls for."
        else:
            opening += f" In my current role as {at}, I am building the kind of experience this role calls for."
    paragraphs.append(opening)

    picks = _highlights(resume, wanted, 2 if tone == "concise" else 3)
    if picks:
        lines, previous = [], ""
        for work, text in picks:
            employer = _str(work["name"])
            lines.append(
                f"I also {_sentence(text)}." if employer == previous else f"At {employer}, I {_sentence(text)}."
            )
            previous = employer
        paragraphs.append(" ".join(lines))

    if matched:
        paragraphs.append(
            f"Your description asks for {_join(matched[:6])}, and I have worked with "
            f"{'it' if len(matched[:6]) == 1 else 'each of these'} hands-on."
        )
    elif skills := resume_skills(resume)[:5]:
        paragraphs.append(f"I would bring hands-on experience with {_join(skills)} to the {role} role.")

    for school in resume.get("education") or []:
        if isinstance(school, dict) and _str(school.get("institution")) and tone != "concise":
            degree = " ".join(p for p in (_str(school.get("studyType")), _str(school.get("area"))) if p)
            study = f"my studies in {degree}" if degree else "my studies"
            paragraphs.append(f"I also draw on {study} at {_str(school['institution'])}.")
            break

    paragraphs.append(_CLOSINGS[tone].format(company=company))
    paragraphs.append(f"Sincerely,\n{name}")
    return "\n\n".join(paragraphs) + "\n"


def tokens(text: str) -> list[str]:
    """`text` cut into stream tokens (a word with the whitespace before it); they join back exactly."""
    return re.findall(r"\s*\S+|\s+$", text)
