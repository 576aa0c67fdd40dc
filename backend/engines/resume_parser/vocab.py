"""Word lists the parser recognises: section headings, job titles, organisations, degrees, places.

They only *classify* text that is on the page (is this piece a title or a company?); nothing in
here is ever emitted unless the resume itself holds it.
"""

from __future__ import annotations

import re
from typing import Final

# Section headings: compact form (lowercase letters only) → section kind.
_HEADINGS: Final[dict[str, tuple[str, ...]]] = {
    "summary": (
        "summary",
        "professional summary",
        "career summary",
        "executive summary",
        "profile",
        "professional profile",
        "personal profile",
        "profile summary",
        "about",
        "about me",
        "objective",
        "career objective",
        "personal statement",
        "overview",
        "introduction",
    ),
    "work": (
        "experience",
        "work experience",
        "professional experience",
        "relevant experience",
        "employment",
        "employment history",
        "work history",
        "career history",
        "professional background",
        "career",
        "experience highlights",
        "internships",
        "positions",
        "work",
    ),
    "education": (
        "education",
        "academic background",
        "education and training",
        "education & training",
        "academic qualifications",
        "academics",
        "studies",
        "education & certifications",
        "education and certifications",
    ),
    "skills": (
        "skills",
        "technical skills",
        "core skills",
        "key skills",
        "core competencies",
        "competencies",
        "skills & competencies",
        "expertise",
        "areas of expertise",
        "technologies",
        "tech stack",
        "technical proficiencies",
        "skills & tools",
        "skills and tools",
        "skills & awards",
        "skills and awards",
        "skills & interests",
        "skills and interests",
        "toolbox",
    ),
    "languages": ("languages", "language skills", "spoken languages", "language"),
    "certificates": (
        "certifications",
        "certificates",
        "certification",
        "licenses & certifications",
        "licenses and certifications",
        "licences & certifications",
        "courses",
        "courses & certifications",
        "training",
        "credentials",
    ),
    "projects": ("projects", "personal projects", "selected projects", "side projects", "key projects", "open source"),
    "awards": (
        "awards",
        "honors",
        "honours",
        "achievements",
        "awards & honors",
        "awards and honors",
        "accomplishments",
    ),
    "contact": (
        "contact",
        "contact information",
        "contact info",
        "contact details",
        "personal details",
        "personal information",
        "details",
        "links",
        "profiles",
        "social",
        "online",
    ),
    "interests": ("interests", "hobbies", "hobbies & interests", "hobbies and interests"),
    "volunteer": ("volunteer", "volunteering", "volunteer experience", "community"),
    "publications": ("publications", "papers", "talks", "publications & talks"),
    "references": ("references", "referees"),
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def compact(text: str) -> str:
    """Lowercase letters only: how headings are compared ('W O R K  E X P.' and 'Work Exp' agree)."""
    return re.sub(r"[^a-z]", "", text.lower().replace("&", "and"))


HEADINGS: Final[dict[str, str]] = {compact(phrase): kind for kind, phrases in _HEADINGS.items() for phrase in phrases}
HEADING_WORDS: Final[dict[str, str]] = {
    "experience": "work",
    "employment": "work",
    "positions": "work",
    "appointments": "work",
    "education": "education",
    "skills": "skills",
    "languages": "languages",
    "certifications": "certificates",
    "certificates": "certificates",
    "projects": "projects",
    "summary": "summary",
    "profile": "summary",
    "awards": "awards",
    "contact": "contact",
    "interests": "interests",
    "publications": "publications",
    "references": "references",
    "volunteering": "volunteer",
}

TITLE_WORDS: Final[frozenset[str]] = _words(
    """
    engineer engineers developer developers manager designer analyst scientist intern internship lead
    director consultant architect specialist officer head vp president founder cofounder co-founder
    administrator coordinator associate assistant technician researcher teacher professor lecturer nurse
    accountant writer editor owner programmer sre devops representative agent executive strategist
    marketer recruiter advisor adviser fellow trainee apprentice mentor tutor chef cashier clerk
    supervisor principal cto ceo cfo coo cio cmo contractor freelancer freelance maintainer creator
    instructor therapist physician pharmacist paralegal attorney lawyer counsel auditor economist
    statistician mechanic electrician operator planner producer photographer illustrator artist
    translator journalist coach trainer owner partner chief student
    ambassador volunteer tester qa sdet administrator bookkeeper controller buyer merchandiser
    realtor broker pilot driver nanny caregiver barista waiter waitress bartender receptionist secretary
    """
)
TITLE_MODIFIERS: Final[frozenset[str]] = frozenset(["senior", "junior", "principal", "staff", "lead", "chief", "head"])

COMPANY_SUFFIXES: Final[frozenset[str]] = _words(
    """
    inc incorporated llc l.l.c ltd limited gmbh ag sa s.a sas sarl bv b.v nv plc corp corporation co
    company pty kg oy
    """
)
COMPANY_WORDS: Final[frozenset[str]] = _words(
    """
    companies labs lab laboratories technologies technology tech solutions systems group holdings
    partners consulting consultants software studio studios bank university college institute agency
    foundation hospital clinic ventures capital media networks analytics industries services
    international global enterprises associates
    """
)

SCHOOL_WORDS: Final[frozenset[str]] = _words(
    """
    university universität universidad università université universite college institute institut
    school academy polytechnic polytechnique hochschule conservatory seminary ecole école lyceum
    gymnasium
    """
)
SCHOOL_ABBREVIATIONS: Final[re.Pattern[str]] = re.compile(
    r"^(?:UC|MIT|UCLA|NYU|ETH|EPFL|IIT|CMU|USC|UCSD|UCSB|LSE|KTH|TU|RWTH|NUS|NTU|HKUST|UBC|UIUC|UT|"
    r"Caltech|Stanford|Harvard|Yale|Princeton|Oxford|Cambridge|Columbia|Cornell)\b"
)

_DEGREE = (
    r"(?:Bachelor(?:'s)?|Master(?:'s)?|Doctor(?:ate)?|Associate(?:'s)?)(?:\s+(?:of|in)\s+"
    r"(?:Science|Arts|Engineering|Business Administration|Fine Arts|Laws|Education|Technology|Philosophy|"
    r"Applied Science|Computer Applications|Commerce|Music|Architecture|Public Health|Medicine|Nursing))?"
    r"(?:\s+degree)?"
    r"|Ph\.?\s?D\.?|D\.?Phil\.?|M\.?B\.?A\.?|B\.?\s?Sc\.?|M\.?\s?Sc\.?|B\.?\s?S\.?|M\.?\s?S\.?|B\.?\s?A\.?|M\.?\s?A\.?"
    r"|B\.?\s?Eng\.?|M\.?\s?Eng\.?|B\.?\s?Tech\.?|M\.?\s?Tech\.?|B\.?\s?B\.?\s?A\.?|B\.?\s?Com\.?|LL\.?\s?[BM]\.?"
    r"|J\.?D\.?|M\.?D\.?|A\.?\s?A\.?|A\.?\s?S\.?|BFA|MFA|MPH|MEd|BEd"
    r"|(?:High School |Graduate |Postgraduate )?Diploma|GED|HND|Abitur|Licence|Licenciatura"
)
DEGREE: Final[re.Pattern[str]] = re.compile(rf"^(?:{_DEGREE})(?=$|[\s,(:\-–—/])")

US_STATES: Final[frozenset[str]] = _words(
    """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC
    ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC ON QC BC AB MB SK NS NB NL PE
    """
)
REGIONS: Final[frozenset[str]] = _words(
    """
    alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
    mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
    vermont virginia washington wisconsin wyoming ontario quebec alberta manitoba saskatchewan yukon
    bavaria catalonia lombardy
    """
) | {
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
    "british columbia",
    "nova scotia",
    "new brunswick",
    "prince edward island",
    "newfoundland and labrador",
    "new south wales",
    "western australia",
}
COUNTRIES: Final[dict[str, str]] = {
    "united states": "US",
    "usa": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "spain": "ES",
    "italy": "IT",
    "portugal": "PT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "switzerland": "CH",
    "austria": "AT",
    "ireland": "IE",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "finland": "FI",
    "poland": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "romania": "RO",
    "greece": "GR",
    "ukraine": "UA",
    "turkey": "TR",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "india": "IN",
    "china": "CN",
    "japan": "JP",
    "south korea": "KR",
    "korea": "KR",
    "singapore": "SG",
    "australia": "AU",
    "new zealand": "NZ",
    "israel": "IL",
    "south africa": "ZA",
    "nigeria": "NG",
    "kenya": "KE",
    "egypt": "EG",
    "united arab emirates": "AE",
    "uae": "AE",
    "vietnam": "VN",
    "philippines": "PH",
    "indonesia": "ID",
    "pakistan": "PK",
}
CITIES: Final[frozenset[str]] = _words(
    """
    london berlin paris madrid barcelona lisbon amsterdam rotterdam brussels zurich geneva vienna munich
    hamburg frankfurt cologne stuttgart dublin stockholm oslo copenhagen helsinki warsaw krakow prague
    budapest bucharest athens istanbul kyiv milan rome toronto vancouver montreal ottawa calgary seattle
    portland boston chicago austin denver houston dallas atlanta miami phoenix philadelphia pittsburgh
    detroit minneapolis nashville raleigh remote hybrid bangalore bengaluru mumbai delhi hyderabad pune
    chennai singapore tokyo seoul shanghai beijing sydney melbourne brisbane auckland tel-aviv
    """
) | {"new york", "san francisco", "los angeles", "san diego", "san jose", "tel aviv", "hong kong", "washington"}

TABLE_HEADERS: Final[frozenset[str]] = _words(
    """
    period dates date from to years year duration organisation organization company employer role
    position title job location institution school university degree qualification subject area category
    skill skills tools tool level proficiency details description
    """
)

LEVEL_WORDS: Final[frozenset[str]] = _words(
    """
    beginner novice elementary basic intermediate advanced expert master proficient fluent native
    conversational professional bilingual working
    """
)

NETWORKS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("LinkedIn", re.compile(r"linkedin\.com/(?:in|pub|company)/([\w\-%.]+)", re.IGNORECASE)),
    ("GitHub", re.compile(r"github\.com/([\w\-.]+)", re.IGNORECASE)),
    ("GitLab", re.compile(r"gitlab\.com/([\w\-.]+)", re.IGNORECASE)),
    ("Twitter", re.compile(r"(?:twitter|x)\.com/@?(\w+)", re.IGNORECASE)),
    ("Stack Overflow", re.compile(r"stackoverflow\.com/users/\d+/([\w\-]+)", re.IGNORECASE)),
    ("Medium", re.compile(r"medium\.com/@([\w\-.]+)", re.IGNORECASE)),
    ("Dribbble", re.compile(r"dribbble\.com/([\w\-]+)", re.IGNORECASE)),
    ("Behance", re.compile(r"behance\.net/([\w\-]+)", re.IGNORECASE)),
    ("Kaggle", re.compile(r"kaggle\.com/([\w\-]+)", re.IGNORECASE)),
    ("Xing", re.compile(r"xing\.com/profile/([\w\-]+)", re.IGNORECASE)),
)
