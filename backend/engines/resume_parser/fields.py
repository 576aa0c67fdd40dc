"""Sections → the JSON Resume object: one function per top-level field."""

from __future__ import annotations

from typing import Any

from backend.engines.resume_parser import entries, lists, records
from backend.engines.resume_parser.basics import extract_basics
from backend.engines.resume_parser.extract import Link
from backend.engines.resume_parser.layout import Row
from backend.engines.resume_parser.sections import Section


def _rows(sections: list[Section], kind: str) -> list[list[Row]]:
    return [section.rows for section in sections if section.kind == kind and section.rows]


def build_resume(sections: list[Section], links: list[Link]) -> dict[str, Any]:
    """The parsed resume; every list is present (maybe empty), absent scalars are left out."""
    work = [
        item
        for rows in _rows(sections, "work")
        for entry in entries.group_entries(rows)
        if (item := records.work_entry(entry)) is not None
    ]
    education = [
        item
        for rows in _rows(sections, "education")
        for entry in entries.group_entries(rows)
        if (item := records.education_entry(entry)) is not None
    ]
    projects = [
        item
        for rows in _rows(sections, "projects")
        for entry in entries.group_entries(rows)
        for item in records.project_entry(entry)
    ]
    certificates = []
    for rows in _rows(sections, "certificates"):
        blocks = lists.columns_of(rows)
        for block in blocks:
            certificates.extend(records.certificate_items(block, one_entry=len(blocks) > 1))
    skills: list[dict[str, Any]] = []
    language_rows = _rows(sections, "languages")
    for rows in _rows(sections, "skills"):
        skill_rows, spoken = lists.split_language_rows(rows)
        skills.extend(lists.parse_skills(skill_rows) if skill_rows else [])
        if spoken:
            language_rows.append(spoken)
    languages = [language for rows in language_rows for language in lists.parse_languages(rows)]
    return {
        "basics": extract_basics(sections, links),
        "work": work,
        "education": education,
        "skills": skills,
        "languages": languages,
        "certificates": certificates,
        "projects": projects,
    }
