"""After generation: does a letter state only what the resume (or the job) holds?

`check(letter, resume, company=, role=, job_description=)` returns what the letter states without a
source, read one sentence at a time (a name never runs across a full stop or a line break):

- organisations (a capitalised name after at/with/for/from/joined/by, any case): in the resume,
  the company or role applied for, or the job description; a known skill the resume or job names
  ("asks for Kubernetes") is not an organisation;
- job titles: in the resume or the role applied for;
- schools and degrees: in the resume only (degrees by level: "bachelor's degree" for a B.S.);
- figures with a unit ("40%", "$2M", "10x", "3k"): in the resume or the job description.

The resume's employers and schools may be named as the resume writes them or by their usual short
forms (`names.aliases`: without Inc./LLC/GmbH, initials such as MIT, "UC Berkeley" for
"University of California, Berkeley"), with or without a possessive or quotes; matching ignores
case, accents and punctuation. Deliberately strict beyond that: a false alarm costs the user a
regeneration, an invented employer costs their credibility.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec

from backend.engines import keywords
from backend.engines.llm.grounding import degrees, metrics, names
from backend.engines.llm.grounding.text import display, fold, norm, sentences

_KIND_WORDS = {"employer": "employer", "title": "job title", "school": "school", "degree": "degree",
               "metric": "figure"}  # fmt: skip
_SHOWN = 4


class Ungrounded(msgspec.Struct, frozen=True):
    kind: str  # employer | title | school | degree | metric
    text: str


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class _Sources:
    """What the letter may draw on, in comparison form."""

    def __init__(self, resume: dict[str, Any], company: str, role: str, job_description: str) -> None:
        resume_text = " \n ".join(_strings(resume))
        self.resume = norm(resume_text) + "".join(norm(alias) for alias in names.aliases(resume))
        self.orgs = self.resume + norm(company) + norm(names.without_suffix(company)) + norm(role)
        self.orgs += norm(job_description)
        self.titles = norm(resume_text) + norm(role)
        skills = [k for s in resume.get("skills") or [] if isinstance(s, dict) for k in _strings(s)]
        found = keywords.terms(f"{resume_text}\n{job_description}\n{role}", extra=skills)
        self.skills = {keywords.key(term) for term in found}
        entries = [e for e in [*(resume.get("education") or []), *(resume.get("certificates") or [])]
                   if isinstance(e, dict)]  # fmt: skip
        self.degrees = degrees.held(
            (str(e.get("studyType") or ""), " \n ".join(_strings({k: v for k, v in e.items() if k != "studyType"})))
            for e in entries
        )
        self.figures = metrics.held(fold(f"{resume_text}\n{job_description}\n{company}\n{role}"))

    def organisation(self, name: str) -> bool:
        forms = {norm(name), norm(names.without_suffix(name))} - {"  "}
        return any(form in self.orgs for form in forms) or keywords.key(name) in self.skills

    def title(self, title: str) -> bool:
        singular = re.sub(r"s$", "", title)
        return norm(title) in self.titles or norm(singular) in self.titles

    def school(self, school: str) -> bool:
        if norm(school) in self.resume:
            return True
        head, _, campus = school.partition(",")  # "University of X, Y": as "UX Y", or X and the resume's city
        if not campus.strip():
            return False
        short = norm(f"{names.initials(head)} {campus}")
        return short in self.resume or (norm(head) in self.resume and norm(campus) in self.resume)


def check(letter: str, resume: dict[str, Any], *, company: str, role: str, job_description: str) -> list[Ungrounded]:
    """What `letter` states without a source (empty when the letter is grounded)."""
    sources = _Sources(resume, company, role, job_description)
    found: dict[tuple[str, str], Ungrounded] = {}

    def flag(kind: str, text: str) -> None:
        found.setdefault((kind, norm(text)), Ungrounded(kind, display(text)))

    for sentence in sentences(letter):
        folded = fold(sentence)
        schools = [s for s in names.schools(sentence, folded) if s.strip()]
        for school in schools:
            if not sources.school(school):
                flag("school", school)
        for name in names.organisations(sentence, folded):
            if name.strip() and not any(norm(name) in norm(s) for s in schools) and not sources.organisation(name):
                flag("employer", name)
        for title in names.titles(sentence, folded):
            if title.strip() and not sources.title(title):
                flag("title", title)
        for degree in degrees.stated(sentence, folded):
            if not degrees.grounded(degree, sources.degrees):
                flag("degree", degree.text)
        for figure in metrics.stated(sentence, folded):
            if not metrics.grounded(figure, sources.figures):
                flag("metric", figure.text)
    return list(found.values())


def describe(problems: list[Ungrounded]) -> str:
    """One sentence safe to show: what the letter named that has no source."""
    items = [f"the {_KIND_WORDS.get(p.kind, p.kind)} “{display(p.text)}”" for p in problems[:_SHOWN]]
    if len(problems) > _SHOWN:
        items.append(f"{len(problems) - _SHOWN} more")
    named = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return (
        "The letter was not kept because it named what your resume and the job description do not hold: "
        f"{named}. Try again to write a new one."
    )
