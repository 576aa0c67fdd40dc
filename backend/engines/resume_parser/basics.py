"""`basics`: name, label, email, phone, url, location, profiles and summary.

The name is the largest name-shaped text in the header (the rows before the first heading of each
column) or a first-page "Contact"/"Personal information" section (Europass sets it there, under a
small running header "Curriculum Vitae | Name"); a document title ("Curriculum Vitae", "Resume") is
never a name. The label is the next row under the name in the same column.
Contact fields come from the text of those rows and, when the visible text is only an icon or a
handle ("johndoe"), from the link annotations drawn over them: the URL is in the PDF, so reading it
invents nothing.
"""

from __future__ import annotations

import re
from typing import Any

from backend.engines.resume_parser import pieces, vocab
from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser.dates import find_date_range
from backend.engines.resume_parser.extract import Link, Segment
from backend.engines.resume_parser.layout import Row
from backend.engines.resume_parser.sections import Section

_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "da",
        "di",
        "del",
        "della",
        "der",
        "den",
        "du",
        "dos",
        "das",
        "la",
        "le",
        "bin",
        "ibn",
        "al",
        "ter",
        "el",
        "st",
    ]
)
_NAME_SPLIT = re.compile(r"\s+[|—–•·]\s+|\s*,\s+")
_DOCUMENT_TITLE = re.compile(r"(?:curriculum vitae|resume|résumé|cv|lebenslauf)", re.IGNORECASE)
_HANDLE_FORM = re.compile(
    r"\b(linkedin|github|gitlab|twitter|x|medium|dribbble|behance|kaggle)\s*[:\-]\s*@?([\w\-.]+)", re.IGNORECASE
)


def _looks_like_name(text: str) -> bool:
    tokens = text.split()
    if not 2 <= len(tokens) <= 5 or len(text) > 50:
        return False
    if re.search(r"[\d@/:|]", text) or vocab.HEADINGS.get(vocab.compact(text)) or _DOCUMENT_TITLE.fullmatch(text):
        return False
    if pieces.title_score(text) or pieces.company_score(text) or pieces.parse_location(text):
        return False
    for token in tokens:
        if token.lower() in _PARTICLES:
            continue
        core = token.strip(".,")
        if not core or not core[0].isupper() or not all(ch.isalpha() or ch in "'’-." for ch in core):
            return False
    return True


def _display_name(text: str) -> str:
    if text.isupper():
        return " ".join(word if len(word) <= 1 else word.title() for word in text.split())
    return text


def _name(rows: list[Row]) -> tuple[str, Row, Segment, str | None] | None:
    """(name, its row, its segment, a label written on the same line) for the most prominent name."""
    best: tuple[float, int, str, Row, Segment, str | None] | None = None
    for order, row in enumerate(rows):
        for segment in row.segments:
            parts = [p.strip() for p in _NAME_SPLIT.split(text_cleanup.strip_icons(segment.text)) if p.strip()]
            if not parts or not _looks_like_name(parts[0]):
                continue
            label = parts[1] if len(parts) > 1 and not pieces.is_contact_only(parts[1]) else None
            key = (segment.size, -order)
            if best is None or key > (best[0], best[1]):
                best = (segment.size, -order, parts[0], row, segment, label)
    if best is None:
        return None
    return best[2], best[3], best[4], best[5]


def _label(rows: list[Row], name_row: Row, name_segment: Segment) -> str | None:
    """The first row under the name, in the name's column, that reads like a headline."""
    try:
        start = next(i for i, row in enumerate(rows) if row is name_row) + 1
    except StopIteration:
        return None
    for row in rows[start : start + 3]:
        if row.page != name_row.page or row.stream != name_row.stream:
            return None
        overlapping = [
            s for s in row.segments if s.x0 < name_segment.x1 + 40 and s.x1 > name_segment.x0 - 40 and s.text
        ]
        if not overlapping:
            continue
        text = text_cleanup.strip_icons(overlapping[0].text)
        first = pieces.SEPARATORS.split(text)[0].strip()
        if (
            not first
            or pieces.is_contact_only(first)
            or pieces.EMAIL.search(text)
            or pieces.phone_in(text)
            or pieces.parse_location(first)
            or find_date_range(first)
            or len(first.split()) > 12
            or first.endswith(".")
            or not first[0].isalpha()
        ):
            return None
        return first
    return None


def _profile(url: str) -> dict[str, str] | None:
    for network, pattern in vocab.NETWORKS:
        match = pattern.search(url)
        if match:
            return {"network": network, "username": match.group(1).rstrip("/."), "url": pieces.normalise_url(url)}
    return None


def _rows_bbox_hit(link: Link, rows: list[Row]) -> bool:
    for row in rows:
        if row.page == link.page and link.x0 < row.x1 and row.x0 < link.x1 and link.y0 < row.y1 and row.y0 < link.y1:
            return True
    return False


def extract_basics(sections: list[Section], links: list[Link]) -> dict[str, Any]:
    """The `basics` object from the header and contact sections (and the summary section)."""
    header_rows = [row for s in sections if s.kind == "header" for row in s.rows]
    contact_rows = [row for s in sections if s.kind == "contact" for row in s.rows]
    all_rows = [row for s in sections for row in s.rows]
    basics: dict[str, Any] = {}

    first_page = [row for row in header_rows + contact_rows if row.page == 0] or all_rows[:8]
    found = _name(first_page)
    if found is not None:
        name, name_row, name_segment, inline_label = found
        basics["name"] = _display_name(name)
        label = inline_label or _label(all_rows, name_row, name_segment)
        if label:
            basics["label"] = label

    contact_text = [row.text for row in header_rows + contact_rows]
    page_one_text = [row.text for row in all_rows if row.page == 0]
    for text in contact_text + page_one_text:
        match = pieces.EMAIL.search(text)
        if match:
            basics["email"] = match.group(0)
            break
    for text in contact_text:
        phone = pieces.phone_in(pieces.EMAIL.sub(" ", text))
        if phone:
            basics["phone"] = phone
            break

    profiles: list[dict[str, str]] = []
    other_urls: list[str] = []
    region_links = [link.uri for link in links if _rows_bbox_hit(link, header_rows + contact_rows)]
    candidates = [url for text in contact_text for url in pieces.urls_in(text)] + region_links
    for url in candidates:
        lower = url.lower()
        if lower.startswith("mailto:"):
            basics.setdefault("email", url[7:].split("?")[0])
            continue
        if lower.startswith("tel:"):
            basics.setdefault("phone", url[4:].strip())
            continue
        profile = _profile(url)
        if profile is not None:
            if not any(p["network"] == profile["network"] for p in profiles):
                profiles.append(profile)
        elif lower.startswith(("http", "www")) or "." in lower:
            other_urls.append(url)
    for text in contact_text:
        for network, username in _HANDLE_FORM.findall(text):
            canonical = next((n for n, _ in vocab.NETWORKS if n.lower().startswith(network.lower())), network)
            if not any(p["network"] == canonical for p in profiles):
                profiles.append({"network": canonical, "username": username})
    if other_urls:
        basics["url"] = pieces.normalise_url(other_urls[0])
    if profiles:
        basics["profiles"] = profiles

    for text in contact_text:
        for piece in re.split(r"\s*[|•·]\s*|\s+[—–]\s+|\s+,\s+", text_cleanup.strip_icons(text.replace("•", "|"))):
            piece = pieces.EMAIL.sub("", piece).strip(" ,")
            place = pieces.parse_location(piece) if piece else None
            if place is not None:
                basics["location"] = place
                break
        if "location" in basics:
            break

    summary_rows = [row for s in sections if s.kind == "summary" for row in s.rows]
    if summary_rows:
        basics["summary"] = join_paragraph([text_cleanup.strip_icons(row.text) for row in summary_rows])
    return basics


def join_paragraph(lines: list[str]) -> str:
    """Wrapped lines as one paragraph; a line ending in a hyphen joins the next without a space."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and line[:1].islower():
            out += line
        else:
            out += " " + line
    return out
