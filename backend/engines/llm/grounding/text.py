"""Text helpers of the grounding check: accent folding, comparison form, sentences, display form.

Extraction runs on one sentence at a time: a name never runs on across a full stop, a line break
or a paragraph break. Folding keeps one character per character, so what a pattern matched in the
folded sentence is shown to the user as the letter wrote it (accents included).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Letters NFKD does not take apart, typographic quotes and dashes, the no-break space, the times sign.
_EXTRA = {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "\u2019": "'", "\u2018": "'", "\u201c": '"',
          "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u00d7": "x"}  # fmt: skip
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
# A full stop after these does not end a sentence: initials (J., U.S., B.S.) and a few short forms.
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.)+|St\.|Mt\.|Ft\.|Dr\.|Mr\.|Mrs\.|Ms\.|Prof\.|Jr\.|Sr\.|Ph\.D\.|[BM]\.Sc\.")
_SENTENCE_END = re.compile(r"""(?<=[.!?;:])["')\]]*[ \t]+""")
_LINE = re.compile(r"[\r\n\u2028\u2029\u0085\v\f]+")


def _fold_char(char: str) -> str:
    if char.isascii():
        return char
    if char in _EXTRA:
        return _EXTRA[char]
    base = unicodedata.normalize("NFKD", char)[:1]
    return base if base.isascii() and base.isalpha() else char


def fold(text: str) -> str:
    """`text` with accents removed, one character for one (so spans carry over to the original)."""
    return "".join(_fold_char(char) for char in text)


def norm(text: str) -> str:
    """Comparison form: folded, lower case, "&" read as "and", only letters, digits, "+" and "#",
    single spaces, padded with a space so `norm(a) in norm(b)` compares whole words."""
    words = re.sub(r"[^a-z0-9+#]+", " ", fold(text).lower().replace("&", " and ")).strip()
    return f" {words} "


def sentences(text: str) -> Iterator[str]:
    """The sentences of `text`: split at every line break, and at . ! ? ; : followed by a space
    unless the word before the full stop is an initial or a short form (J., U.S., St., Ph.D.)."""
    for line in _LINE.split(text):
        start = 0
        for end in _SENTENCE_END.finditer(line):
            before = line[start : end.start()].rsplit(None, 1)
            last = before[-1] if before else ""
            if last.endswith(".") and _ABBREVIATION.fullmatch(last.lstrip(_QUOTES + "(")):
                continue
            yield line[start : end.start()]
            start = end.end()
        if line[start:].strip():
            yield line[start:]


def display(text: str, limit: int = 60) -> str:
    """`text` as quoted to the user: one line, single spaces, no quotes or punctuation around it."""
    flat = " ".join(text.split()).strip(_QUOTES + " ,;:!?()[]")
    last = flat.rsplit(" ", 1)[-1]
    if not (_ABBREVIATION.fullmatch(last) or re.fullmatch(r"(?:Inc|Ltd|Co|Corp)\.", last)):
        flat = flat.rstrip(".")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
