"""Reading a page's markup with lxml (no network): elements by class, id or attribute, their text
with block ends kept as line breaks, and the small value parsers every board needs (workplace,
salary ranges, names from URL slugs)."""

from __future__ import annotations

import html as html_lib
import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_BLOCKS = {
    "p", "div", "li", "ul", "ol", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "tr", "table", "dd", "dt", "dl", "blockquote", "pre", "header", "footer",
}  # fmt: skip
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "button", "form")


def parse(page: str) -> HtmlElement | None:
    """The page's document element, or None when lxml finds no markup in it."""
    if not page.strip():
        return None
    try:
        return lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return None


def with_class(name: str, tag: str = "*") -> str:
    """An XPath step for elements whose class list holds `name` (what CSS `.name` means)."""
    return f"{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def first(root: HtmlElement, *paths: str) -> HtmlElement | None:
    """The first element any of the XPaths finds (tried in order)."""
    for path in paths:
        found = root.xpath(path)
        for item in found:
            if isinstance(item, HtmlElement):
                return item
    return None


def first_text(root: HtmlElement, *paths: str) -> str | None:
    """The inline text of the first non-empty match of the XPaths, whitespace collapsed."""
    for path in paths:
        for item in root.xpath(path):
            value = inline(item) if isinstance(item, HtmlElement) else " ".join(str(item).split())
            if value:
                return value
    return None


def meta(root: HtmlElement, name: str) -> str | None:
    """The content of `<meta property|name="name">`."""
    return first_text(root, f"//meta[@property='{name}' or @name='{name}']/@content")


def inline(element: HtmlElement) -> str:
    """An element's text on one line (scripts and styles left out)."""
    return " ".join(_texts(element, blocks=False).split())


def block_text(element: HtmlElement) -> str:
    """An element's text with paragraph, list item and heading ends as line breaks, blank lines dropped."""
    lines = _texts(element, blocks=True).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def _texts(element: HtmlElement, *, blocks: bool) -> str:
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _INVISIBLE:
            return
        if blocks and tag in _BLOCKS:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if blocks and tag in _BLOCKS:
            parts.append("\n")
        elif tag:
            parts.append(" " if tag in ("td", "th", "span") else "")

    walk(element)
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """A fragment of HTML (a description) as text, block ends as line breaks."""
    if not markup.strip():
        return ""
    try:
        fragment = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
    return block_text(fragment)


# -- values ----------------------------------------------------------------------------------------

REMOTE_WORDS = (
    ("hybrid", "hybrid"),
    ("remote", "remote"),
    ("telecommute", "remote"),
    ("work from home", "remote"),
    ("on-site", "onsite"),
    ("onsite", "onsite"),
    ("on site", "onsite"),
    ("in office", "onsite"),
    ("in-office", "onsite"),
)


def workplace(*values: str | None) -> str | None:
    """onsite, hybrid or remote from what a page says ("Hybrid", "Remote - US", "OnSite", ...)."""
    for value in values:
        if not value:
            continue
        lowered = value.lower()
        for word, kind in REMOTE_WORDS:
            if word in lowered:
                return kind
    return None


_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_CODE = re.compile(r"\b(USD|EUR|GBP|CAD|AUD|NZD|CHF|SEK|NOK|DKK|PLN|JPY|INR|SGD|BRL|MXN|ZAR|ILS|HKD)\b")
_AMOUNT = re.compile(r"(\d[\d,.\s]*\d|\d)\s*([kKmM])?(?![\w%])")
_PERIODS = (
    ("hour", "HOUR"), ("/hr", "HOUR"), ("day", "DAY"), ("week", "WEEK"), ("month", "MONTH"),
    ("year", "YEAR"), ("annual", "YEAR"), ("/yr", "YEAR"),
)  # fmt: skip


def salary(text: str | None) -> tuple[float | None, float | None, str | None, str | None]:
    """(min, max, ISO currency, period) of a pay range as a page shows it: "$120,000 — $150,000 USD",
    "€70k–90k per year", "USD 100,000 - 130,000", "120-150k"; all None when there is no amount."""
    if not text:
        return None, None, None, None
    found = [(_number(number), suffix.lower()) for number, suffix in _AMOUNT.findall(text)]
    values = [(value, suffix) for value, suffix in found if value is not None and value >= 1][:2]
    if not values:
        return None, None, None, None
    if len(values) == 2 and not values[0][1] and values[1][1] and values[0][0] < 1000:
        values[0] = (values[0][0], values[1][1])  # "120-150k": the suffix belongs to both
    amounts = [value * _SCALE.get(suffix, 1) for value, suffix in values]
    code = _CODE.search(text.upper())
    currency = code.group(1) if code else next((iso for sym, iso in _SYMBOLS.items() if sym in text), None)
    lowered = text.lower()
    period = next((name for word, name in _PERIODS if word in lowered), None)
    return min(amounts), max(amounts), currency, period


_SCALE = {"k": 1_000, "m": 1_000_000}


_PAY_LINE = re.compile(r"(?i)\b(pay range|salary|compensation|base pay|pay)\b")


def pay_line(text: str) -> str | None:
    """The first line of a description that states a pay range ("Pay range: $120,000 - $155,000 per
    year"): a pay word and an amount with a currency."""
    for line in text.splitlines():
        if _PAY_LINE.search(line) and salary(line)[2] is not None:
            return line
    return None


def _number(number: str) -> float | None:
    """An amount as written: "120,000.00", "70.000,50", "120 000", "85.5"."""
    digits = re.sub(r"\s", "", number)
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):  # 120,000 or 120,000.00
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", digits):  # 70.000 or 70.000,50
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def name_of_slug(slug: str) -> str | None:
    """A company name from a URL's slug: `northwind-cloud` → "Northwind Cloud"; "Contoso" stays."""
    words = [w for w in re.split(r"[-_+.\s]+", slug) if w]
    if not words or not any(c.isalpha() for c in slug):
        return None
    if any(c.isupper() for c in slug) and len(words) == 1:
        return slug
    return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in words)
