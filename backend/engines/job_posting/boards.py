"""The markup of the large applicant tracking systems' job pages, read when a page carries no
schema.org JobPosting (or one that lacks fields): each reader takes the parsed page and answers the
fields it found (`role`, `company`, `location`, `remote`, `salary_*`, `description`), every one
optional. Pure: no network.

- Greenhouse (boards.greenhouse.io, job-boards.greenhouse.io): `#app_title`/`.app-title`,
  `.company-name` ("at Acme"), `.location`, `#content`, the pay range `.pay-range`; the newer boards'
  `.job__title`, `.job__location`, `.job__description`.
- Lever (jobs.lever.co): `.posting-headline h2`, `.posting-categories` `.location`, `.commitment`,
  `.workplaceTypes`, the description sections of `.section-wrapper` (`[data-qa=job-description]` and
  the lists after it), `[data-qa=salary-range]`, the company in the header logo's `alt`.
- Ashby (jobs.ashbyhq.com): the page's `window.__appData = {...}` JSON: `posting` {title,
  descriptionHtml, locationName, isRemote, workplaceType, compensation} and `organization.name`.
- Workday (*.myworkdayjobs.com, the page as a browser renders it): `data-automation-id`
  `jobPostingHeader`, `locations`, `remoteType`, `jobPostingDescription`; the company from
  `og:site_name` (else the host, a fallback of the caller).
- SmartRecruiters (jobs.smartrecruiters.com): `h1.job-title`, `[itemprop=hiringOrganization]`,
  `spl-job-location[formattedaddress]`/`[itemprop=jobLocation]`, `.job-details`,
  `[itemprop=description]`/`.job-sections`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from backend.engines.job_posting import markup
from backend.engines.job_posting.markup import HtmlElement, block_text, first, first_text, meta, with_class

Fields = dict[str, Any]
Reader = Callable[[HtmlElement, str], Fields]


def _drop(root: HtmlElement, *paths: str) -> None:
    """Remove the matching elements (apply buttons, forms) from a description."""
    for path in paths:
        for element in root.xpath(path):
            if element.getparent() is not None:
                element.drop_tree()


def _description(root: HtmlElement, *paths: str) -> str:
    element = first(root, *paths)
    return block_text(element) if element is not None else ""


def _pay(text: str | None) -> Fields:
    low, high, currency, period = markup.salary(text)
    if low is None:
        return {}
    return {"salary_min": low, "salary_max": high, "salary_currency": currency, "salary_period": period}


def greenhouse(root: HtmlElement, page: str) -> Fields:
    role = first_text(
        root, "//*[@id='app_title']", "//" + with_class("app-title"), "//" + with_class("job__title") + "//h1"
    )
    company = first_text(root, "//" + with_class("company-name"))
    if company:
        company = re.sub(r"^at\s+", "", company, flags=re.IGNORECASE).strip() or None
    if company is None:  # the newer boards' title: "Job Application for <role> at <company>"
        title = first_text(root, "//title")
        found = re.match(r"(?i)job application for (.+) at (.+)$", title or "")
        company = found.group(2).strip() if found else None
    location = first_text(root, "//*[@id='header']//" + with_class("location"), "//" + with_class("location"),
                          "//" + with_class("job__location"))  # fmt: skip
    pay = first_text(root, "//" + with_class("pay-range"))
    _drop(root, "//*[@id='application']", "//form")
    description = _description(root, "//*[@id='content']", "//" + with_class("job__description"))
    return {
        "role": role, "company": company, "location": location, "remote": markup.workplace(location),
        "description": description, **_pay(pay),
    }  # fmt: skip


def lever(root: HtmlElement, page: str) -> Fields:
    headline = first(root, "//" + with_class("posting-headline"))
    role = first_text(headline, ".//h2") if headline is not None else None
    categories = "//" + with_class("posting-categories") + "//"
    location = first_text(root, categories + with_class("location"))
    workplace_types = first_text(root, categories + with_class("workplaceTypes"))
    company = first_text(root, "//" + with_class("main-header-logo") + "//img/@alt")
    company = re.sub(r"\s+logo$", "", company, flags=re.IGNORECASE).strip() if company else None
    if not company:  # the page's title: "<company> - <role>"
        title = first_text(root, "//title")
        if title and role and title.endswith(f" - {role}"):
            company = title[: -len(role) - 3].strip() or None
    pay = first_text(root, "//*[@data-qa='salary-range']/*[not(self::h4)]", "//*[@data-qa='salary-range']")
    _drop(root, "//" + with_class("postings-btn-wrapper"), "//" + with_class("last-section-applied"), "//form")
    description = _description(
        root,
        "//" + with_class("section-wrapper") + "[.//*[@data-qa='job-description']]",
        "//*[@data-qa='job-description']",
        "//" + with_class("section-wrapper"),
    )
    return {
        "role": role, "company": company, "location": location,
        "remote": markup.workplace(workplace_types, location), "description": description, **_pay(pay),
    }  # fmt: skip


_APP_DATA = re.compile(r"window\.__appData\s*=\s*")


def ashby(root: HtmlElement, page: str) -> Fields:
    data = _app_data(page)
    posting = data.get("posting") or data.get("jobPosting") or {}
    if not isinstance(posting, dict):
        return {}
    organization = data.get("organization")
    organization = organization if isinstance(organization, dict) else {}
    description = posting.get("descriptionHtml")
    text = markup.html_to_text(description) if isinstance(description, str) else ""
    if not text and isinstance(posting.get("descriptionPlainText"), str):
        text = posting["descriptionPlainText"].strip()
    remote = markup.workplace(_str(posting.get("workplaceType")))
    if remote is None and posting.get("isRemote") is True:
        remote = "remote"
    return {
        "role": _str(posting.get("title")),
        "company": _str(organization.get("name")),
        "location": _str(posting.get("locationName")),
        "remote": remote,
        "description": text,
        **_ashby_pay(posting),
    }


def _app_data(page: str) -> dict[str, Any]:
    """The object after `window.__appData =` (JSON), or {}."""
    found = _APP_DATA.search(page)
    if found is None:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(page, found.end())
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _ashby_pay(posting: dict[str, Any]) -> Fields:
    compensation = posting.get("compensation")
    compensation = compensation if isinstance(compensation, dict) else {}
    components = compensation.get("summaryComponents") or compensation.get("compensationTierSummaryComponents") or []
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict) or str(component.get("compensationType", "")).lower() != "salary":
            continue
        amounts = [v for v in (component.get("minValue"), component.get("maxValue")) if isinstance(v, int | float)]
        if not amounts:
            continue
        interval = str(component.get("interval") or "").upper()
        period = next((p for p in ("HOUR", "DAY", "WEEK", "MONTH", "YEAR") if p in interval), None)
        return {
            "salary_min": float(min(amounts)), "salary_max": float(max(amounts)),
            "salary_currency": _str(component.get("currencyCode")), "salary_period": period,
        }  # fmt: skip
    summary = _str(compensation.get("compensationTierSummary")) or _str(posting.get("compensationTierSummary"))
    return _pay(summary)


def workday(root: HtmlElement, page: str) -> Fields:
    def automation(name: str) -> str:
        return f"//*[@data-automation-id='{name}']"

    location = first_text(root, automation("locations") + "//dd", automation("locations"))
    if location and location.lower().startswith("locations "):
        location = location[len("locations ") :].strip()
    remote_type = first_text(root, automation("remoteType") + "//dd", automation("remoteType"))
    description = _description(root, automation("jobPostingDescription"))
    pay = first_text(root, automation("salary") + "//dd", automation("salary")) or markup.pay_line(description)
    return {
        "role": first_text(root, automation("jobPostingHeader")),
        "company": meta(root, "og:site_name"),
        "location": location,
        "remote": markup.workplace(remote_type, location),
        "description": description,
        **_pay(pay),
    }


def smartrecruiters(root: HtmlElement, page: str) -> Fields:
    organization = "//*[@itemprop='hiringOrganization']"
    company = first_text(
        root, organization + "/@content", organization + "//*[@itemprop='name']/@content",
        organization + "//*[@itemprop='name']", organization, "//" + with_class("company-name"),
    )  # fmt: skip
    location = first_text(
        root, "//spl-job-location/@formattedaddress", "//*[@itemprop='jobLocation']//*[@itemprop='address']",
        "//*[@itemprop='jobLocation']", "//" + with_class("job-location"),
    )  # fmt: skip
    details = [markup.inline(li) for li in root.xpath("//" + with_class("job-details") + "//li")]
    workplace_type = first_text(root, "//spl-job-location/@workplacetype")
    _drop(root, "//" + with_class("job-apply"), "//form")
    description = _description(root, "//*[@itemprop='description']", "//" + with_class("job-sections"))
    pay = first_text(root, "//*[@itemprop='baseSalary']", "//" + with_class("job-salary"))
    return {
        "role": first_text(root, "//" + with_class("job-title", "h1"), "//*[@itemprop='title']"),
        "company": company or meta(root, "og:site_name"),
        "location": location,
        "remote": markup.workplace(workplace_type, *details, location),
        "description": description,
        **_pay(pay or markup.pay_line(description)),
    }


def _str(value: Any) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


READERS: dict[str, Reader] = {
    "Greenhouse": greenhouse,
    "Lever": lever,
    "Ashby": ashby,
    "Workday": workday,
    "SmartRecruiters": smartrecruiters,
}
