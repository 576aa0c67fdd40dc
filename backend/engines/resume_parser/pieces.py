"""Small recognisers shared by the field extractors: contact tokens, places, separators, row shapes."""

from __future__ import annotations

import re

from backend.engines.resume_parser import text as text_cleanup
from backend.engines.resume_parser import vocab

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w/.])(?:\+\s?\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d[\d\s.\-]{5,}\d(?![\w/])")
_TLDS = (
    "com|org|net|io|dev|me|co|ai|app|tech|info|xyz|de|uk|fr|nl|ca|us|eu|ch|se|es|it|at|be|dk|no|fi|pl|in|"
    "page|site|blog|design|codes|sh|ly|gg|so|to"
)
URL = re.compile(
    rf"(?:https?://|www\.)[^\s|,;()<>\"]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:{_TLDS})(?:/[^\s|,;()<>\"]*)?(?![\w@])",
    re.IGNORECASE,
)
BULLET_START = re.compile(r"^(?:[•*>o]|[-–—](?!\d)|\d{1,2}[.)])\s+")
_STATE_ZIP = re.compile(r"^(?P<city>[A-Z][\w.'\- ]*?),\s*(?P<region>[A-Z]{2})(?:\s+(?P<zip>\d{5}(?:-\d{4})?))?$")
_CITY_COUNTRY = re.compile(r"(?P<city>[^(),]+?)\s*\((?P<country>[^()]+)\)")
_LOCATION_PREFIX = re.compile(r"^(?:location|address|based in|city)\s*[:\-]?\s*", re.IGNORECASE)
SEPARATORS = re.compile(r"\s+[|·•]\s+|\s+[—–]\s+|\s+-\s+|\s{2,}")
_CORPORATE_TAIL = re.compile(r"^(?:inc|llc|ltd|gmbh|ag|plc|corp|co|s\.?a|b\.?v|l\.?p)\.?$", re.IGNORECASE)


def words(text: str) -> list[str]:
    return re.findall(r"[\w'’+#.-]+", text.lower())


def phone_in(text: str) -> str | None:
    """The first phone number in `text` (7 to 15 digits, not a year or a year range)."""
    for match in PHONE.finditer(text):
        candidate = match.group(0).strip(" .-")
        digits = re.sub(r"\D", "", candidate)
        if not 7 <= len(digits) <= 15:
            continue
        if re.fullmatch(r"(?:19|20)\d{2}\s*[-–—./]\s*(?:(?:19|20)\d{2}|\d{1,2})", candidate):
            continue
        if re.fullmatch(r"\d{1,2}[./]\d{4}.*", candidate) and len(digits) <= 12:
            continue  # 06/2016 - 12/2018
        if "." in candidate and not re.search(r"[\s()+-]", candidate) and len(candidate.split(".")) == 2:
            continue  # a decimal number
        return candidate
    return None


def urls_in(text: str) -> list[str]:
    """URLs and bare domains in `text` (emails removed first)."""
    without_email = EMAIL.sub(" ", text)
    return [match.group(0).rstrip(".") for match in URL.finditer(without_email)]


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/.")
    if url.lower().startswith(("http://", "https://")):
        return url
    return "https://" + url


def is_contact_only(text: str) -> bool:
    """True when a piece is nothing but emails, phones and URLs."""
    rest = EMAIL.sub(" ", text)
    rest = URL.sub(" ", rest)
    phone = phone_in(rest)
    if phone:
        rest = rest.replace(phone, " ")
    return not re.sub(r"[\s|,;•·:/()-]+", "", text_cleanup.strip_icons(rest)) and bool(text.strip())


def unbracket(text: str) -> str:
    """`text` without enclosing brackets, or a bracket left dangling by a split ("(Berlin", "2021)")."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        return text[1:-1].strip()
    if text.startswith("(") and ")" not in text:
        text = text[1:]
    if text.endswith(")") and "(" not in text:
        text = text[:-1]
    return text.strip()


def parse_location(text: str) -> dict[str, str] | None:
    """A place as JSON Resume location fields, when `text` is recognisably one; never a guess."""
    value = _LOCATION_PREFIX.sub("", unbracket(text)).strip(" ,")
    if not value or len(value) > 60 or re.search(r"\d{6,}|@", value):
        return None
    bracketed = _CITY_COUNTRY.fullmatch(value)  # Europass: "Milan (Italy)"
    if bracketed and bracketed.group("country").lower() in vocab.COUNTRIES and _placeish(bracketed.group("city")):
        return {"city": bracketed.group("city"), "countryCode": vocab.COUNTRIES[bracketed.group("country").lower()]}
    lower = value.lower()
    if lower in ("remote", "hybrid", "on-site", "onsite", "remote / hybrid"):
        return {"city": value}
    state = _STATE_ZIP.match(value)
    if state and state.group("region") in vocab.US_STATES:
        found = {"city": state.group("city").strip(), "region": state.group("region")}
        if state.group("zip"):
            found["postalCode"] = state.group("zip")
        return found
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if any(not _placeish(p) for p in parts):
        return None
    if len(parts) in (2, 3) and parts[-1].lower() in vocab.COUNTRIES:
        found = {"city": parts[0]}
        if len(parts) == 3:
            found["region"] = parts[1]
        found["countryCode"] = vocab.COUNTRIES[parts[-1].lower()]  # in reading order: "Austin, Texas, US"
        return found
    if len(parts) == 1 and (lower in vocab.CITIES or lower in vocab.COUNTRIES):
        if lower in vocab.COUNTRIES:
            return {"countryCode": vocab.COUNTRIES[lower]}
        return {"city": value}
    if len(parts) == 2 and parts[0].lower() in vocab.CITIES and _placeish(parts[1]):
        return {"city": parts[0], "region": parts[1]}
    return None


def _placeish(text: str) -> bool:
    """Could name a place: capitalised, short, and no organisation, school or job-title word."""
    if not re.fullmatch(r"[A-ZÀ-Ý][\w.'’\- ]{0,30}", text) or len(text.split()) > 3:
        return False
    tokens = {token.strip(".,") for token in words(text)}
    blocked = vocab.COMPANY_SUFFIXES | vocab.COMPANY_WORDS | vocab.SCHOOL_WORDS | vocab.TITLE_WORDS
    return not tokens & blocked


def _doubtful_region(parts: list[str]) -> bool:
    """'OpenAI, San Francisco, USA' parses as city, region, country; but when the middle piece is no known
    region and the first no known city, the middle is more likely the city and the first an employer."""
    if len(parts) != 3:
        return False
    region, city = parts[1].lower(), parts[0].lower()
    return region not in vocab.REGIONS and parts[1] not in vocab.US_STATES and city not in vocab.CITIES


def doubtful_place(text: str) -> bool:
    """A three-part place whose first piece is more likely an employer (see `split_location_tail`)."""
    parts = [p.strip() for p in text.split(",")]
    return _doubtful_region(parts) and parse_location(", ".join(parts[1:])) is not None


def split_location_tail(text: str) -> tuple[str, dict[str, str] | None, str]:
    """'Brightloop, Austin, TX' → ('Brightloop', {city, region}, 'Austin, TX'); no place → (text, None, '').

    The longest place wins ("Austin, Texas, USA"), unless it is a doubtful three-part one and a shorter
    tail is a place too ("Acme, Amsterdam, Netherlands" is Acme in Amsterdam)."""
    parts = [p.strip() for p in text.split(",")]
    fallback: tuple[str, dict[str, str] | None, str] | None = None
    for cut in range(1, len(parts)):
        tail = ", ".join(parts[cut:])
        place = parse_location(tail)
        head = ", ".join(parts[:cut]).strip()
        if place is not None and head:
            if fallback is None and _doubtful_region(parts[cut:]):
                fallback = (head, place, tail)
                continue
            return head, place, tail
    return fallback or (text, None, "")


def split_commas(text: str) -> list[str]:
    """'Title, Company' → ['Title', 'Company'], keeping 'Acme, Inc.' together."""
    parts: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if parts and _CORPORATE_TAIL.match(part):
            parts[-1] = f"{parts[-1]}, {part}"
        else:
            parts.append(part)
    return parts


def title_score(text: str) -> int:
    tokens = words(text)
    score = sum(2 for token in tokens if token.strip(".") in vocab.TITLE_WORDS)
    if tokens and tokens[0] in vocab.TITLE_MODIFIERS:
        score += 1
    return score


def company_score(text: str) -> int:
    """Evidence that a piece names an organisation: legal suffixes always, industry words ("Software",
    "Labs") only when no job-title word is present ("Software Engineer" is a title)."""
    tokens = [token.rstrip(".,") for token in words(text)]
    score = sum(3 for token in tokens if token in vocab.COMPANY_SUFFIXES)
    if not title_score(text):
        score += sum(2 for token in tokens if token in vocab.COMPANY_WORDS)
    if re.search(r"\.(?:com|io|ai|co)\b", text, re.IGNORECASE):
        score += 1
    return score


def is_school(text: str) -> bool:
    tokens = {token.strip(".,") for token in words(text)}
    return bool(tokens & vocab.SCHOOL_WORDS) or bool(vocab.SCHOOL_ABBREVIATIONS.match(text.strip()))


def list_items(text: str) -> list[str]:
    """A delimited list ('Go, Python; SQL | Docker', or table cells joined by tabs) as items; a slash
    counts only with spaces round it ('CI/CD' is one item)."""
    items = re.split(r"\s*[,;|•·\t]\s*|\s+/\s+", text)
    return [item.strip(" .") for item in items if item.strip(" .")]


def is_list_like(text: str) -> bool:
    return len(list_items(text)) >= 2
