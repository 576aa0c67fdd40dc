"""The grounding check in both directions, over every fixture resume and seeded variants of them.

A faithful letter (the builtin writer's, or one phrased the way models write) must always pass; the
same letter with one invented employer, school, title, degree or figure must always fail, naming
what was invented. Seeds are fixed: a failure names its case and reproduces.
"""

from __future__ import annotations

import random

import pytest

from backend.engines.llm import Brief, grounding
from backend.engines.llm.offline_writer import write_letter
from tests.engines.llm import grounding_cases as cases
from tests.engines.llm.grounding_cases import Case

VARIANTS = 300


def _problems(letter: str, case: Case) -> list[grounding.Ungrounded]:
    return grounding.check(letter, case.resume, company=case.company, role=case.role, job_description=case.job)


def _builtin(case: Case) -> str:
    brief = Brief(kind="cover_letter", resume=case.resume, company=case.company, role=case.role,
                  job_description=case.job, tone=case.tone)  # fmt: skip
    return write_letter(brief)


def _fixture_cases() -> list[Case]:
    jobs = cases.jobs()
    return [
        Case(f"{name}/{tone}/job{j}", resume, "Northwind Cloud", "Senior Data Engineer", job, tone)
        for name, resume in cases.fixture_resumes()
        for tone in cases.TONES
        for j, job in enumerate(jobs)
    ]


def _refusals(pairs: list[tuple[Case, str]]) -> list[str]:
    return [f"{case.name}: {problems}\n{letter}" for case, letter in pairs if (problems := _problems(letter, case))]


def test_the_builtin_letter_of_every_fixture_resume_is_accepted() -> None:
    fixtures = _fixture_cases()
    refused = _refusals([(case, _builtin(case)) for case in fixtures])
    assert len(fixtures) >= 300
    assert refused == [], f"{len(refused)} of {len(fixtures)} refused; first:\n{refused[0]}"


def test_the_builtin_letter_of_generated_resumes_is_accepted() -> None:
    variants = cases.variants(random.Random(8), VARIANTS)
    refused = _refusals([(case, _builtin(case)) for case in variants])
    assert refused == [], f"{len(refused)} of {len(variants)} refused; first:\n{refused[0]}"


def test_honest_letters_phrased_like_a_model_are_accepted() -> None:
    rng = random.Random(13)
    pairs = [(case, cases.honest_letter(case, rng)) for case in cases.variants(rng, VARIANTS) for _ in range(2)]
    pairs += [(case, cases.honest_letter(case, rng)) for case in _fixture_cases()[::7]]
    refused = _refusals(pairs)
    assert refused == [], f"{len(refused)} of {len(pairs)} refused; first:\n{refused[0]}"


@pytest.mark.parametrize("kind", ["employer", "school", "metric", "title", "degree"])
def test_a_letter_with_one_invention_is_refused_naming_it(kind: str) -> None:
    rng = random.Random(21)
    missed = []
    variants = cases.variants(rng, VARIANTS)
    for case in variants:
        letter, invented = cases.inject(cases.honest_letter(case, rng), case, rng, kind)
        named = [p for p in _problems(letter, case) if invented.lower() in p.text.lower()]
        if not named:
            missed.append(f"{case.name}: {invented!r} not named in {_problems(letter, case)}\n{letter}")
    assert missed == [], f"{len(missed)} of {len(variants)} accepted; first:\n{missed[0]}"


def test_a_school_ending_a_paragraph_is_one_name() -> None:
    resume = {"work": [{"name": "Creative Solutions Inc.", "position": "Senior Web Developer"}],
              "education": [{"institution": "University of California", "studyType": "Bachelor of Science",
                             "area": "Computer Science"}]}  # fmt: skip
    honest = (
        "Dear Hiring Team,\n\nI studied Computer Science at the University of California.\n\nThank you for your "
        "time.\nAs Senior Web Developer at Creative Solutions, I led the redesign.\nSincerely,\nJohn Doe\n"
    )
    assert grounding.check(honest, resume, company="Acme", role="Web Developer", job_description="") == []
    invented = honest.replace("the University of California.", "the University of Chicago.")
    [problem] = grounding.check(invented, resume, company="Acme", role="Web Developer", job_description="")
    assert (problem.kind, problem.text) == ("school", "University of Chicago")


def test_the_refusal_reads_as_a_sentence_naming_each_item_once() -> None:
    problems = [
        grounding.Ungrounded("school", "University of\n\nChicago"),
        grounding.Ungrounded("employer", "Google"),
        grounding.Ungrounded("metric", "40%"),
    ]
    text = grounding.describe(problems)
    assert "\n" not in text and "\\n" not in text
    assert text == (
        "The letter was not kept because it named what your resume and the job description do not hold: "
        "the school “University of Chicago”, the employer “Google” and the figure “40%”. "
        "Try again to write a new one."
    )
