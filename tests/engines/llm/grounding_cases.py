"""Resumes, jobs and letters for the grounding property tests (seeded, no I/O beyond the fixtures).

- `fixture_resumes()`: every resume truth under tests/fixtures (Reactive Resume JSON converted to
  JSON Resume, as the parser would store it), the JSON Resume sample and the AI tests' resume.
- `variants(rng, n)`: `Case`s built from those with employers, schools, titles and metrics drawn from
  the awkward spellings real resumes have (multi-word names, ampersands, accents, all caps, legal
  suffixes, "University of X, Y", dotted degrees).
- `honest_letter(case, rng)`: a letter written the way models write, every fact from the resume
  (names at sentence and paragraph ends, possessives, quotes, suffixes dropped, known abbreviations).
- `inject(letter, case, rng, kind)`: the same letter with one invented employer, school, title,
  degree or metric; returns what was invented.

This module keeps its own small notion of names and degrees: it must not borrow the checker's.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import ai_fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TONES = ("professional", "enthusiastic", "friendly", "concise")

EMPLOYERS = [
    "Acme Robotics Inc.", "ACME ROBOTICS", "Parcel & Pine LLC", "Société Générale Québec", "Müller Logistik GmbH",
    "Brightwave Media Ltd.", "Harbor & Hill Partners", "O'Neill Analytics", "Northwind Traders Corp.",
    "Bank of Montreal", "Blue Ridge Health, Inc.", "Zürich Data AG", "São Paulo Fintech S.A.", "Kite Labs",
    "Macy's", "AT&T Labs", "ŁÓDŹ SOFTWARE HOUSE", "Café Nova", "Universal Freight Co.", "NORTHSTAR & SONS LTD",
    "Ørsted Energy", "Fjord Analytics AS", "Crédit Agricole", "St. Mary's Hospital",
]  # fmt: skip
SCHOOLS = {  # the school -> how an honest letter may also call it
    "University of California, Berkeley": ["UC Berkeley", "University of California, Berkeley"],
    "University of California": ["the University of California"],
    "Massachusetts Institute of Technology": ["MIT"],
    "Georgia Institute of Technology": ["Georgia Institute of Technology"],
    "Texas A&M University": ["Texas A&M"],
    "École Polytechnique": ["Ecole Polytechnique"],
    "Universidad de Chile": ["the Universidad de Chile"],
    "King's College London": ["King's College London"],
    "University of Illinois Urbana-Champaign": ["UIUC", "the University of Illinois"],
    "Technische Universität München": ["TUM"],
    "New York University": ["NYU"],
    "University of St. Gallen": ["the University of St. Gallen"],
    "UNIVERSITY OF TORONTO": ["the University of Toronto"],
    "Carnegie Mellon University": ["CMU", "Carnegie Mellon"],
    "University of Texas at Austin": ["UT Austin", "the University of Texas"],
    "Universidade de São Paulo": ["the Universidade de Sao Paulo"],
}
DEGREES = {  # studyType -> honest phrasings
    "B.S.": ["B.S.", "bachelor's degree", "Bachelor of Science"],
    "Bachelor of Science": ["Bachelor of Science", "bachelor's degree", "B.S."],
    "BSc": ["BSc", "bachelor's degree", "Bachelor's"],
    "B.A.": ["B.A.", "bachelor's degree"],
    "Bachelor": ["bachelor's degree", "Bachelor's"],
    "M.S.": ["M.S.", "master's degree", "Master of Science"],
    "M.Sc.": ["M.Sc.", "master's degree"],
    "Master of Science": ["Master of Science", "master's degree", "MSc"],
    "Ph.D.": ["Ph.D.", "PhD", "doctorate"],
    "MBA": ["MBA"],
    "Associate of Applied Science": ["associate degree", "Associate of Applied Science"],
}
AREAS = ["Computer Science", "Mathematics", "Economics & Finance", "Électrical Engineering", "Data Science"]
POSITIONS = [
    "Senior Software Engineer", "Data Engineer", "Backend Developer", "Engineering Manager", "Product Designer",
    "Site Reliability Engineer", "Machine Learning Scientist", "Technical Lead", "QA Analyst", "Java Developer",
]  # fmt: skip
COMPANIES = ["Northwind Cloud", "Globex Corp.", "Initrode & Co.", "Zeta Analytics", "ÉTOILE LABS", "Vandelay Inc."]
ROLES = ["Senior Backend Engineer", "Data Engineer", "Platform Engineer", "Frontend Developer", "Engineering Manager"]
HIGHLIGHTS = [
    "Cut infrastructure costs by {p}%", "Grew annual recurring revenue to ${m}M", "Made the CI pipeline {x}x faster",
    "Served {k}k daily active users", "Reduced p99 latency from {a} ms to {b} ms",
    "Processed {t}TB of event data daily",
    "Raised test coverage from {p}% to {q}%", "Mentored {n} junior engineers", "Migrated {n} services to Kubernetes",
    "Improved checkout conversion by {p} percent", "Partnered with Sales & Marketing on {n} product launches",
    "Shipped a Python and PostgreSQL billing service for “Enterprise” customers",
]  # fmt: skip
FOREIGN_EMPLOYERS = [
    "Google", "Initech Systems", "Globex Corporation", "Umbrella Labs LLC", "Soylent Foods Inc.", "Wayne Enterprises",
    "Stark Industries", "Cyberdyne Systems", "MASSIVE DYNAMIC", "Hôtel Lumière Group", "Tyrell & Sons",
]  # fmt: skip
FOREIGN_SCHOOLS = [
    "Stanford University", "University of Cambridge", "Yale University", "Imperial College London",
    "Princeton University", "University of Tokyo", "Duke University", "University of Michigan", "Rice University",
]  # fmt: skip
FOREIGN_TITLES = ["Chief Technology Officer", "Principal Architect", "Distinguished Engineer", "Staff Scientist"]


@dataclass
class Case:
    name: str
    resume: dict[str, Any]
    company: str
    role: str
    job: str
    tone: str


def fixture_resumes() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.glob("resumes/**/*.truth.json")):
        data = json.loads(path.read_text())
        found.append((path.name, ai_fixtures.from_reactive_resume(data) if "sections" in data else data))
    sample = json.loads((FIXTURES / "jsonresume" / "sample.resume.json").read_text())
    found.append(("jsonresume-sample", sample))
    found.append(("marcus", ai_fixtures.marcus()))
    found.append(("marcus-clean", ai_fixtures.marcus(injected=False)))
    return found


def jobs() -> list[str]:
    texts = [p.read_text() for p in sorted((FIXTURES / "jobs").glob("*.txt"))]
    return [*texts, ai_fixtures.DATA_JOB, "We pay $150k and want Python, SQL, Kubernetes, 5+ years and a 99.9% SLA."]


def _fill(template: str, rng: random.Random) -> str:
    numbers = {k: str(rng.randint(2, 95)) for k in "pqmxkabtn"}
    numbers["q"] = str(int(numbers["p"]) + rng.randint(1, 4))
    return template.format(**numbers)


def variants(rng: random.Random, count: int) -> list[Case]:
    bases = fixture_resumes()
    job_texts = jobs()
    cases = []
    for index in range(count):
        base_name, base = bases[index % len(bases)]
        resume = copy.deepcopy(base)
        works = [w for w in resume.get("work") or [] if isinstance(w, dict)] or [{}]
        employers = rng.sample(EMPLOYERS, len(works)) if len(works) <= len(EMPLOYERS) else EMPLOYERS
        for work, employer in zip(works, employers, strict=False):
            if rng.random() < 0.7:
                work["name"] = employer
            if rng.random() < 0.4 or not work.get("position"):
                work["position"] = rng.choice(POSITIONS)
            if rng.random() < 0.7:
                work["highlights"] = [_fill(h, rng) for h in rng.sample(HIGHLIGHTS, rng.randint(1, 3))]
        resume["work"] = works
        if rng.random() < 0.8:
            school = rng.choice(list(SCHOOLS))
            degree = rng.choice(list(DEGREES))
            resume["education"] = [{"institution": school, "studyType": degree, "area": rng.choice(AREAS)}]
        tone = rng.choice(TONES)
        cases.append(Case(f"{base_name}#{index}", resume, rng.choice(COMPANIES), rng.choice(ROLES),
                          rng.choice(job_texts), tone))  # fmt: skip
    return cases


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _employer_forms(name: str) -> list[str]:
    forms = [name]
    bare = re.sub(r",?\s+(?:Inc\.|LLC|Ltd\.?|LTD|Corp\.|Co\.|GmbH|AG|S\.A\.|AS)$", "", name)
    forms.append(bare)
    if name.isupper():
        forms.append(bare.title().replace("'S", "'s"))
    return forms


def _degree_phrase(study_type: str, rng: random.Random) -> str:
    return rng.choice(DEGREES.get(study_type, ["degree"]))


def honest_letter(case: Case, rng: random.Random) -> str:
    """A letter a model might write from `case`: every employer, title, school, degree and figure it
    names is in the resume (or is the company and role applied for)."""
    resume, company, role = case.resume, case.company, case.role
    name = (resume.get("basics") or {}).get("name") or "Alex Applicant"
    paragraphs = [rng.choice([f"Dear Hiring Team at {company},", "Dear Hiring Manager,", f"Hello {company} team,"])]
    paragraphs.append(rng.choice([
        f"I am excited to apply for the {role} role at {company}.",
        f"I'm writing about {company}'s {role} opening.",
        f"Please consider me for the {role} position with {company}.",
    ]))  # fmt: skip
    works = [w for w in resume.get("work") or [] if isinstance(w, dict) and w.get("name")]
    lines = []
    for work in works[:3]:
        employer = rng.choice(_employer_forms(work["name"]))
        position = work.get("position") or ""
        highlights = [h for h in work.get("highlights") or [] if isinstance(h, str) and "Ignore" not in h]
        did = _lower_first(rng.choice(highlights)) if highlights else "shipped work that mattered"
        did = did.replace("%", " percent") if rng.random() < 0.2 else did
        options = [
            f"At {employer}, I {did}.", f"I {did} while working for “{employer}”.",
            f"{employer}'s team trusted me to own that work, and I {did}.",
            f"My most relevant experience comes from {employer}.\n\nThere, I {did}.", f"I {did} at {employer}.",
        ]  # fmt: skip
        if position:
            options += [
                f"As {position} at {employer}, I {did}.", f"Before that, I joined {employer} as {position}.",
                f"I spent my time as {position} with {employer}, where I {did}.",
            ]  # fmt: skip
        lines.append(rng.choice(options))
    if lines:
        paragraphs.append(" ".join(lines))
    schools = [e for e in resume.get("education") or [] if isinstance(e, dict) and e.get("institution")]
    if schools:
        school = schools[0]
        called = rng.choice([school["institution"], *SCHOOLS.get(school["institution"], [])])
        degree = _degree_phrase(school.get("studyType") or "", rng)
        area = school.get("area") or "my field"
        paragraphs.append(rng.choice([
            f"I earned my {degree} in {area} from {called}.", f"I studied {area} at {called}.",
            f"My {degree} from {called} grounded me in {area}.", f"I hold a {degree} from {called}.",
        ]))  # fmt: skip
    skills = [k for s in resume.get("skills") or [] if isinstance(s, dict) for k in s.get("keywords") or []][:4]
    if skills:
        paragraphs.append(f"I have worked hands-on with {', '.join(skills)}.")
    paragraphs.append(rng.choice([
        "Thank you for your time.", f"Thanks for considering my application; I look forward to hearing from {company}.",
        f"I would love to bring this to {company}'s team.",
    ]))  # fmt: skip
    paragraphs.append(f"{rng.choice(['Sincerely', 'Best regards', 'Kind regards'])},\n{name}")
    return "\n\n".join(paragraphs) + "\n"


def _source_text(case: Case) -> str:
    return json.dumps(case.resume, ensure_ascii=False) + case.job + case.company + case.role


def _foreign(pool: list[str], case: Case, rng: random.Random) -> str:
    source = re.sub(r"\W+", " ", _source_text(case).lower())
    choices = [n for n in pool if not set(re.sub(r"\W+", " ", n.lower()).split()[:1]) & set(source.split())]
    return rng.choice(choices)


def _insert(letter: str, sentence: str, rng: random.Random) -> str:
    paragraphs = letter.split("\n\n")
    at = rng.randint(1, max(1, len(paragraphs) - 2))
    if rng.random() < 0.5:  # a sentence of its own paragraph, or the end of one
        paragraphs.insert(at, sentence)
    else:
        paragraphs[at] = paragraphs[at].rstrip() + " " + sentence
    return "\n\n".join(paragraphs)


def inject(letter: str, case: Case, rng: random.Random, kind: str) -> tuple[str, str]:
    """(`letter` with one invented `kind`, the invented text the check must name)."""
    if kind == "employer":
        name = _foreign(FOREIGN_EMPLOYERS, case, rng)
        sentence = rng.choice([
            f"Before that, I worked at {name}.", f"I also consulted for {name}.", f"I joined {name} as a contractor.",
            f"At {name}, I led the payments team.", f"I spent two years with “{name}”.",
        ])  # fmt: skip
        return _insert(letter, sentence, rng), name.split()[0]
    if kind == "school":
        name = _foreign(FOREIGN_SCHOOLS, case, rng)
        sentence = rng.choice([
            f"I also took graduate courses at {name}.", f"I studied at {name}.",
            f"{name} awarded me a research fellowship.", f"My time at {name} taught me rigor.",
        ])  # fmt: skip
        return _insert(letter, sentence, rng), next(w for w in name.split() if w not in {"University", "of"})
    if kind == "title":
        title = _foreign(FOREIGN_TITLES, case, rng)
        return _insert(letter, f"I was promoted to {title} last year.", rng), title
    if kind == "degree":
        held = " ".join(f"{e.get('studyType')} {e.get('area')}" for e in case.resume.get("education") or [])
        levels = (("PhD", r"Ph\.?D|Doctor"), ("MBA", r"MBA|Business Admin"), ("associate degree", r"Associate"))
        degree = next(d for d, level in levels if not re.search(level, held))
        return _insert(letter, f"I also hold a {degree} in Physics.", rng), degree.split()[0]
    source = _source_text(case)
    number = next(n for n in (rng.randint(11, 987) for _ in range(1000)) if str(n) not in source)
    sentence = rng.choice([
        f"That work grew signups by {number}%.", f"It saved the company ${number}M.",
        f"I made deploys {number}x faster.", f"The platform reached {number}k users.",
        f"I cut cloud spend by {number} percent.",
    ])  # fmt: skip
    return _insert(letter, sentence, rng), str(number)
