"""Names a letter states (organisations, job titles, schools) and the other names of the resume's own.

Patterns run on one folded sentence (`text.sentences`, `text.fold`): they cannot cross a full stop
or a line break. A name ends at a word that ends a clause ("Acme Inc.", "Acme's", a comma). Leading
words that are capitalised only because they start the sentence ("As", "At", "My") are dropped.

`aliases(resume)` lists what a letter may call the resume's employers and schools besides their
full names: without the legal suffix (Inc., LLC, Ltd., GmbH...), the initials of a long name
("MIT" for Massachusetts Institute of Technology, "UIUC" for University of Illinois Urbana-Champaign),
and for "University of X, Y" or "University of X at Y" the form "UX Y" ("UC Berkeley", "UT Austin").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_TITLE_NOUNS = (
    "Engineer|Developer|Manager|Director|Scientist|Analyst|Designer|Architect|Consultant|Specialist|"
    "Administrator|Officer|Intern|Researcher|Programmer|Technician|Coordinator|Lead"
)
_WORD = r"[A-Z][\w&'.-]*"  # a capitalised word of a name (on folded text)
_JOINERS = r"&|of|de|del|der|des|du|la|y|von|van|fur|und"  # lowercase words inside names
_TRIGGER = r"(?i:at|with|for|from|joined|by)\b"  # a name follows; never a word inside one
_ORG = re.compile(rf"""\b{_TRIGGER}\s+["']?((?!{_TRIGGER}){_WORD}(?:\s+(?:(?!{_TRIGGER}){_WORD}|{_JOINERS}))*)""")
_TITLE = re.compile(rf"\b(?:[A-Z][A-Za-z+#/.-]*\s+){{0,3}}(?:{_TITLE_NOUNS})s?\b")
_SCHOOL = re.compile(
    rf"\b(?:(?:University|College|Institute|Academy|School)\s+of\s+{_WORD}(?:\s+(?:{_WORD}|of|and|&))*"
    rf"(?:,\s+{_WORD}(?:\s+{_WORD})*)?"
    rf"|(?:{_WORD}\s+){{1,4}}(?:University|College|Institute of Technology|Polytechnic)\b)"
)
# Capitalised words that start sentences, or are not names.
_COMMON_WORDS = """
i i'm i've i'd my me the a an your our their his her its this that these those we you it thank thanks dear
sincerely regards best kind warm hiring team mr ms mrs dr hello hi to as at in on with for from by while when
since after before during previously currently recently most now then today also and but or so because both
every each being working there here what which who where how why please once later next monday tuesday
wednesday thursday friday saturday sunday january february march april may june july august september october
november december
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_DETERMINERS = frozenset(["the", "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that"])
_LEGAL = re.compile(
    r"(?:,?\s+(?:inc|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|ag|s\.?a|plc|oy|as|a/s|ab|bv|nv"
    r"|pty|sarl|srl|spa|kk|lp|llp)\.?)+$",
    re.IGNORECASE,
)
_SMALL_WORDS = "of the and & for at in de del der des du la y von van fur und a an"  # not initials of a name
_SMALL = frozenset(_SMALL_WORDS.split())
_POSSESSIVE = re.compile(r"(?:'s|s')$")


def _name_words(raw: str) -> list[str]:
    """The words of a matched name up to the one ending the clause, trimmed of sentence starters."""
    words: list[str] = []
    for word in raw.split():
        bare = word.rstrip(".,;:!?\"')")
        if _POSSESSIVE.search(bare):
            words.append(_POSSESSIVE.sub("", bare))
            break
        words.append(bare)
        if word != bare and not re.fullmatch(r"(?:[A-Za-z]\.)+|St\.|Mt\.", word):
            break  # "Acme Inc." or "Acme," ends the name; "J." or "St." does not
    while words and words[0].lower() in _DETERMINERS:  # "at the Home Depot"; never "Best" of Best Buy
        words = words[1:]
    while words and (words[-1].lower() in _COMMON or words[-1].lower() in _SMALL):
        words = words[:-1]  # "At Acme I built": "I" is not part of the name
    return words


def _span(sentence: str, folded: str, start: int, words: list[str]) -> str:
    """The original text of `words`, found in order from `start` in the folded sentence."""
    if not words:
        return ""
    first = position = folded.index(words[0], start)
    for word in words:
        position = folded.index(word, position) + len(word)
    return sentence[first:position]


def organisations(sentence: str, folded: str) -> Iterator[str]:
    """Names after at/with/for/from/joined/by ("at Acme Robotics", "joined “Globex”")."""
    for match in _ORG.finditer(folded):
        yield _span(sentence, folded, match.start(1), _name_words(match.group(1)))


def titles(sentence: str, folded: str) -> Iterator[str]:
    for match in _TITLE.finditer(folded):
        if re.search(r"\bHiring\s+Managers?$", match.group(0), re.IGNORECASE):
            continue
        words = match.group(0).split()
        while words and words[0].lower().rstrip(".,") in _COMMON:
            words = words[1:]
        if words:
            yield _span(sentence, folded, match.start(), words)


def schools(sentence: str, folded: str) -> Iterator[str]:
    for match in _SCHOOL.finditer(folded):
        head, _, campus = match.group(0).partition(",")
        if re.match(r"(?:University|College|Institute|Academy|School)\s", head):
            words = _name_words(head)
            if campus.strip() and words and words[-1] == head.split()[-1]:  # "University of X, Y": one name
                words = words + _name_words(campus)
        else:  # "... University": possessives inside belong to the name ("King's College")
            words = head.split()
            while words and words[0].lower() in _COMMON:
                words = words[1:]
        yield _span(sentence, folded, match.start(), words)


def without_suffix(name: str) -> str:
    """`name` without its legal suffix ("Acme Robotics, Inc." -> "Acme Robotics")."""
    return _LEGAL.sub("", name.strip()).strip(" ,")


def initials(name: str) -> str:
    parts = re.split(r"[\s-]+", name)
    return "".join(p[0] for p in parts if p and p.lower() not in _SMALL and p[0].isalpha() and p[0].isupper())


def aliases(resume: dict[str, Any]) -> list[str]:
    """Other names a letter may use for the resume's employers and schools (see the module doc)."""
    found: list[str] = []
    for name in _organisation_names(resume):
        bare = without_suffix(name)
        found.append(bare)
        head, sep, tail = bare.partition(",") if "," in bare else bare.partition(" at ")
        if len(initials(bare)) >= 2 and len(bare.split()) >= 2:
            found.append(initials(bare))
        if sep and tail.strip() and len(initials(head)) >= 2:
            found += [head.strip(), f"{initials(head)} {tail.strip()}"]
    return found


def _organisation_names(resume: dict[str, Any]) -> Iterator[str]:
    fields = {"work": ("name", "company"), "volunteer": ("organization",), "education": ("institution",),
              "certificates": ("issuer",), "awards": ("awarder",), "publications": ("publisher",),
              "projects": ("entity",)}  # fmt: skip
    for section, keys in fields.items():
        entries = resume.get(section)
        for entry in entries if isinstance(entries, list) else []:
            for key in keys:
                value = entry.get(key) if isinstance(entry, dict) else None
                if isinstance(value, str) and value.strip():
                    yield value
