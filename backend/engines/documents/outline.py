"""A resume's printed outline, shared by the PDF and the Word writers so both say the same thing.

JSON Resume data (as the parser stores it, or as a user imports it) → a header (name, headline,
contact pieces with their links) and sections of entries (a bold title line, plain lines, bullets).
The wording is chosen for the parser to read back (`backend/engines/resume_parser`): section
headings from its vocabulary in capitals, a work entry as "Position — Company" over "Mar 2021 -
Present | Lyon, France" (en dashes in print), a school as "Degree Area — School (2010 - 2014)",
skills as "Group: a, b, c", dates as "Mon YYYY" or "YYYY".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# What no document may hold: C0 and C1 control characters (tab and line ends kept), lone surrogates
# (UTF-8 cannot encode them), U+FFFE and U+FFFF (XML refuses them).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-\d{2})?$")
DASH = "\u2014"  # between position and company
RANGE = "\u2013"  # between two dates


@dataclass(frozen=True)
class Piece:
    """A run of text, with the URI it links to (mailto:, tel:, https:) when it has one."""

    text: str
    link: str | None = None


@dataclass
class Entry:
    title: str = ""  # the bold first line ("" for a section of plain lines)
    lines: list[str] = field(default_factory=list)  # paragraphs under the title
    bullets: list[str] = field(default_factory=list)
    link: str | None = None  # the entry's URL, printed as a last line and linked
    subtitle: str = ""  # under the title: "Mar 2021 - Present | Lyon, France"


@dataclass
class Section:
    heading: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Outline:
    name: str
    headline: str
    contact: list[Piece]
    sections: list[Section]


def printable(value: str) -> str:
    """`value` without the characters no document may hold (control characters, lone surrogates)."""
    return _UNPRINTABLE.sub("", value)


def text(value: Any) -> str:
    """A field as one clean line ("" for anything that is not a non-empty string)."""
    return " ".join(printable(value).split()) if isinstance(value, str) else ""


def paragraph(value: Any) -> list[str]:
    """A multi-line field as its non-empty lines, each cleaned."""
    if not isinstance(value, str):
        return []
    return [line for line in (text(part) for part in printable(value).splitlines()) if line]


def strings(value: Any) -> list[str]:
    return [t for t in (text(v) for v in value) if t] if isinstance(value, list) else []


def items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def date(value: Any) -> str:
    """An ISO partial date ("2021-03", "2021", "2021-03-15") as printed: "Mar 2021", "2021"."""
    raw = text(value)
    match = _ISO.match(raw)
    if not match:
        return raw
    year, month = match.group(1), match.group(2)
    if month and 1 <= int(month) <= 12:
        return f"{_MONTHS[int(month) - 1]} {year}"
    return year


def date_range(start: Any, end: Any, *, open_ended: bool = True) -> str:
    """'Mar 2021 - Present' (a start without an end is ongoing in JSON Resume), '2010 - 2014', '2014';
    the printed dash is an en dash."""
    first, last = date(start), date(end)
    if first and last:
        return f"{first} {RANGE} {last}"
    if first:
        return f"{first} {RANGE} Present" if open_ended else first
    return last


def display_url(url: str) -> str:
    """A URL as people print it: no scheme, no "www.", no trailing slash."""
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url).rstrip("/")


def web_link(url: str) -> str | None:
    """The link target of a printed URL (https:// added when the scheme is missing); None if unusable."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    if re.match(r"^https?://", url, re.IGNORECASE):
        return url
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
        return None  # javascript:, data: and friends are printed, never linked
    return f"https://{url}"


# ISO 3166 codes printed as the country's name ("Lyon, FR" → "Lyon, France"), except those that are
# also US state codes (CA, DE, IN, ...): "Dover, DE" stays as written.
COUNTRY_NAMES = {
    "AT": "Austria", "AU": "Australia", "BE": "Belgium", "BR": "Brazil", "CH": "Switzerland", "CL": "Chile",
    "CN": "China", "CZ": "Czech Republic", "DK": "Denmark", "EG": "Egypt", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "GR": "Greece", "IE": "Ireland", "IT": "Italy", "JP": "Japan",
    "KE": "Kenya", "KR": "South Korea", "MX": "Mexico", "NG": "Nigeria", "NL": "Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "SE": "Sweden", "SG": "Singapore", "TR": "Turkey", "UA": "Ukraine", "US": "United States",
    "VN": "Vietnam", "ZA": "South Africa", "AE": "United Arab Emirates", "UK": "United Kingdom",
}  # fmt: skip


def place_name(place: str) -> str:
    """A place as printed: a trailing country code becomes the country's name."""
    head, _, code = place.rpartition(", ")
    return f"{head}, {COUNTRY_NAMES[code]}" if head and code in COUNTRY_NAMES else place


def _place(location: Any) -> str:
    if not isinstance(location, dict):
        return place_name(text(location))
    city, region, country = (text(location.get(k)) for k in ("city", "region", "countryCode"))
    return place_name(", ".join(p for p in (city, region, country) if p))


def _title(position: str, organisation: str, place: str, dates: str) -> str:
    left = f"{position} {DASH} {organisation}" if position and organisation else position or organisation
    if place:
        left = f"{left}, {place}" if left else place
    if dates:
        left = f"{left} ({dates})" if left else dates
    return left


def _header(basics: dict[str, Any]) -> tuple[str, str, list[Piece]]:
    contact: list[Piece] = []
    email = text(basics.get("email"))
    if email:
        contact.append(Piece(email, f"mailto:{email}" if "@" in email and " " not in email else None))
    phone = text(basics.get("phone"))
    if phone:
        digits = re.sub(r"[^\d+]", "", phone)
        contact.append(Piece(phone, f"tel:{digits}" if len(digits) >= 5 else None))
    place = _place(basics.get("location"))
    if place:
        contact.append(Piece(place))
    urls = [text(basics.get("url"))] + [text(p.get("url")) for p in items(basics, "profiles")]
    seen: set[str] = set()
    for url in urls:
        if url and display_url(url).lower() not in seen:
            seen.add(display_url(url).lower())
            contact.append(Piece(display_url(url), web_link(url)))
    for profile in items(basics, "profiles"):  # a profile known only by its user name
        if not text(profile.get("url")) and text(profile.get("username")):
            contact.append(Piece(f"{text(profile.get('network'))} {text(profile.get('username'))}".strip()))
    return text(basics.get("name")), text(basics.get("label")), contact


def _work(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for job in items(data, "work"):
        dates = date_range(job.get("startDate"), job.get("endDate"))
        title = _title(text(job.get("position")), text(job.get("name")), "", "")
        subtitle = " | ".join(p for p in (dates, place_name(text(job.get("location")))) if p)
        lines = paragraph(job.get("summary")) + paragraph(job.get("description"))
        url = text(job.get("url"))
        entries.append(Entry(title or subtitle, lines, strings(job.get("highlights")), url or None, subtitle))
    return entries


def _education(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for school in items(data, "education"):
        degree = " ".join(p for p in (text(school.get("studyType")), text(school.get("area"))) if p)
        dates = date_range(school.get("startDate"), school.get("endDate"), open_ended=False)
        lines = [f"Grade: {text(school.get('score'))}"] if text(school.get("score")) else []
        courses = strings(school.get("courses"))
        if courses:
            lines.append("Courses: " + ", ".join(courses))
        entries.append(Entry(_title(degree, text(school.get("institution")), "", dates), lines))
    return entries


def _skills(data: dict[str, Any]) -> list[Entry]:
    lines = []
    loose = []  # skills without keywords: listed together on one line
    for skill in items(data, "skills"):
        name, keywords = text(skill.get("name")), strings(skill.get("keywords"))
        level = text(skill.get("level"))
        if keywords:
            label = f"{name} ({level})" if name and level else name
            lines.append(f"{label}: {', '.join(keywords)}" if label else ", ".join(keywords))
        elif name:
            loose.append(f"{name} ({level})" if level else name)
    if loose:
        lines.append(", ".join(loose))
    return [Entry("", lines)] if lines else []


def _languages(data: dict[str, Any]) -> list[Entry]:
    spoken = []
    for language in items(data, "languages"):
        name, fluency = text(language.get("language")), text(language.get("fluency"))
        if name:
            spoken.append(f"{name} ({fluency})" if fluency else name)
    return [Entry("", [", ".join(spoken)])] if spoken else []


def _projects(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for project in items(data, "projects"):
        dates = date_range(project.get("startDate"), project.get("endDate"), open_ended=False)
        roles = ", ".join(strings(project.get("roles")))
        title = _title(text(project.get("name")), roles, "", dates)
        lines = paragraph(project.get("description"))
        keywords = strings(project.get("keywords"))
        if keywords:
            lines.append("Technologies: " + ", ".join(keywords))
        url = text(project.get("url"))
        entries.append(Entry(title, lines, strings(project.get("highlights")), url or None))
    return entries


def _certificates(data: dict[str, Any]) -> list[Entry]:
    lines = []
    for certificate in items(data, "certificates"):
        name, issuer = text(certificate.get("name")), text(certificate.get("issuer"))
        when = date(certificate.get("date"))
        if name:
            line = f"{name} {DASH} {issuer}" if issuer else name
            lines.append(f"{line} ({when})" if when else line)
    return [Entry("", lines)] if lines else []


def _awards(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for award in items(data, "awards"):
        name, awarder, when = text(award.get("title")), text(award.get("awarder")), date(award.get("date"))
        if name:
            entries.append(Entry(_title(name, awarder, "", when), paragraph(award.get("summary"))))
    return entries


def _volunteer(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for job in items(data, "volunteer"):
        dates = date_range(job.get("startDate"), job.get("endDate"))
        title = _title(text(job.get("position")), text(job.get("organization")), "", dates)
        if title:
            entries.append(Entry(title, paragraph(job.get("summary")), strings(job.get("highlights"))))
    return entries


def _publications(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for item in items(data, "publications"):
        name = text(item.get("name"))
        if name:
            title = _title(name, text(item.get("publisher")), "", date(item.get("releaseDate")))
            url = text(item.get("url"))
            entries.append(Entry(title, paragraph(item.get("summary")), link=url or None))
    return entries


def _interests(data: dict[str, Any]) -> list[Entry]:
    lines = []
    for interest in items(data, "interests"):
        name, keywords = text(interest.get("name")), strings(interest.get("keywords"))
        if name or keywords:
            lines.append(f"{name}: {', '.join(keywords)}" if name and keywords else name or ", ".join(keywords))
    return [Entry("", lines)] if lines else []


def _references(data: dict[str, Any]) -> list[Entry]:
    entries = []
    for reference in items(data, "references"):
        name = text(reference.get("name"))
        if name:
            entries.append(Entry(name, paragraph(reference.get("reference"))))
    return entries


_SECTIONS = (
    ("EXPERIENCE", _work),
    ("EDUCATION", _education),
    ("SKILLS", _skills),
    ("PROJECTS", _projects),
    ("CERTIFICATIONS", _certificates),
    ("LANGUAGES", _languages),
    ("AWARDS", _awards),
    ("VOLUNTEERING", _volunteer),
    ("PUBLICATIONS", _publications),
    ("INTERESTS", _interests),
    ("REFERENCES", _references),
)


def outline(resume: dict[str, Any]) -> Outline:
    """The outline of JSON Resume data; empty sections are left out."""
    basics = resume.get("basics") if isinstance(resume.get("basics"), dict) else {}
    assert isinstance(basics, dict)
    name, headline, contact = _header(basics)
    sections = []
    summary = paragraph(basics.get("summary"))
    if summary:
        sections.append(Section("SUMMARY", [Entry("", summary)]))
    for heading, build in _SECTIONS:
        entries = [e for e in build(resume) if e.title or e.lines or e.bullets]
        if entries:
            sections.append(Section(heading, entries))
    return Outline(name, headline, contact, sections)
