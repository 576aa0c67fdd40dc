"""The plain text of JSON Resume data: what the parser would have extracted from a PDF of it.

Stored with an imported version (encrypted, like a parsed PDF's text), so the features that read a
version's text (keyword analyses, the AI's grounding) treat an imported resume like an uploaded one.
"""

from __future__ import annotations

from typing import Any

# (section, its heading, the fields of an entry in the order a resume shows them)
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("work", "Experience", ("position", "name", "location", "startDate", "endDate", "summary", "description")),
    ("volunteer", "Volunteering", ("position", "organization", "startDate", "endDate", "summary")),
    ("education", "Education", ("studyType", "area", "institution", "startDate", "endDate", "score", "summary")),
    ("projects", "Projects", ("name", "description", "startDate", "endDate", "url")),
    ("certificates", "Certificates", ("name", "issuer", "date", "url")),
    ("awards", "Awards", ("title", "awarder", "date", "summary")),
    ("publications", "Publications", ("name", "publisher", "releaseDate", "summary", "url")),
    ("skills", "Skills", ("name", "level")),
    ("languages", "Languages", ("language", "fluency")),
    ("interests", "Interests", ("name",)),
)
LISTS = ("highlights", "keywords", "courses", "roles")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def resume_text(resume: dict[str, Any]) -> str:
    """Headings and lines, one entry's fields per line; unknown or malformed parts are skipped."""
    lines: list[str] = []
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    assert isinstance(basics, dict)
    for key in ("name", "label", "email", "phone", "url"):
        lines += _strings(basics.get(key))
    location = basics.get("location")
    if isinstance(location, dict):
        place = ", ".join(_strings([location.get(k) for k in ("city", "region", "countryCode")]))
        lines += [place] if place else []
    for profile in basics.get("profiles") or []:
        if isinstance(profile, dict):
            lines += [" ".join(_strings([profile.get("network"), profile.get("username") or profile.get("url")]))]
    if summary := _strings(basics.get("summary")):
        lines += ["", "Summary", *summary]
    for section, heading, fields in SECTIONS:
        entries = [entry for entry in resume.get(section) or [] if isinstance(entry, dict)]
        if not entries:
            continue
        lines += ["", heading]
        for entry in entries:
            head = " · ".join(_strings([entry.get(field) for field in fields[:3]]))
            rest = [text for field in fields[3:] for text in _strings(entry.get(field))]
            lines += [line for line in (head, *rest) if line]
            lines += [f"- {item}" for key in LISTS for item in _strings(entry.get(key))]
    return "\n".join(line for line in lines if line is not None).strip() + "\n"
