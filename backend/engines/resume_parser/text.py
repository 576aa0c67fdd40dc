"""Text cleanup for what PDF text layers really hold: ligatures, icon-font glyphs, odd spaces and dashes.

- Ligature code points (U+FB00..U+FB06, "ﬁ" in "Certiﬁed") become their letters (NFKC), so words
  match what a person reads.
- Icon fonts (Font Awesome, Phosphor, Material...) map their glyphs into the Unicode private-use
  areas; pictographs such as ✉ ☎ and list markers such as ▪ ● ► play the same role. All of them
  become one marker, `ICON` ("•"): in a contact line it separates the fields it decorated, at the
  start of a line it is a bullet.
- Replacement characters, zero-width characters, soft hyphens and control characters are dropped;
  every kind of space becomes a plain space; typographic quotes and hyphen variants are unified.
"""

from __future__ import annotations

import re
import unicodedata

ICON = "\u2022"  # the marker that stands for any icon glyph or list-marker symbol

_KEEP_SYMBOLS = frozenset("©®™°")
_BULLETS = frozenset("•●○◦▪▫■□‣∙⁃◆◇►▶▸▹➢➤➔→⇒✓✔☑★☆♦❖❯")
_DROP = frozenset("\ufffd\u200b\u200c\u200d\u2060\ufeff\u00ad")
_TRANSLATE = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u2012": "\u2013",
        "\u2015": "\u2014",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\t": " ",
    }
)
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ICON_RUN = re.compile(r"\s*(?:\u2022\s*)+")


def is_private_use(char: str) -> bool:
    """True for code points in the private-use areas (where icon fonts put their glyphs)."""
    code = ord(char)
    return 0xE000 <= code <= 0xF8FF or 0xF0000 <= code <= 0xFFFFD or 0x100000 <= code <= 0x10FFFD


def _is_icon(char: str) -> bool:
    if char in _BULLETS or is_private_use(char):
        return True
    if char in _KEEP_SYMBOLS:
        return False
    return unicodedata.category(char) == "So"


def clean(text: str) -> str:
    """One line of PDF text made plain: ligatures expanded, icons → `ICON`, spaces collapsed, trimmed."""
    if not text:
        return ""
    # Private-use glyphs first: NFKC leaves them alone, but classify before any other rewriting.
    chars: list[str] = []
    for char in text:
        if char in _DROP:
            continue
        if _is_icon(char):
            chars.append(f" {ICON} ")
        elif unicodedata.category(char) == "Cc" and char != "\t":
            continue
        else:
            chars.append(char)
    normal = unicodedata.normalize("NFKC", "".join(chars)).translate(_TRANSLATE)
    # NFKC may itself produce symbols (rare): classify again, then tidy spaces and icon runs.
    normal = "".join(f" {ICON} " if (ch != ICON and _is_icon(ch)) else ch for ch in normal)
    normal = _SPACES.sub(" ", normal)
    normal = _ICON_RUN.sub(f" {ICON} ", normal)
    return normal.strip()


def strip_icons(text: str) -> str:
    """`text` without icon markers (for output text and field values)."""
    return _SPACES.sub(" ", text.replace(ICON, " ")).strip()


def letters_spaced_out(text: str) -> str:
    """'E X P E R I E N C E' → 'EXPERIENCE' (headings drawn with letter spacing); other text unchanged."""
    if re.fullmatch(r"(?:\w ){3,}\w", text):
        return text.replace(" ", "")
    return text
