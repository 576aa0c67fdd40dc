"""The parser's accuracy floor (issue 4): ≥ 95% overall, and no file below its committed baseline.

The benchmark is ops/bench/parser_quality.py (run it for the table); its baseline is
tests/fixtures/resumes/quality_baseline.json. After a deliberate improvement, rewrite the baseline
with `uv run python -m ops.bench.parser_quality --write-baseline` and commit it with the change.
"""

from __future__ import annotations

import json

import pytest

from ops.bench import parser_quality

FLOOR = 0.95
EPSILON = 0.005  # room for a rounding difference, not for a lost field


@pytest.fixture(scope="module")
def scores() -> list[parser_quality.FileScore]:
    return parser_quality.run()


@pytest.fixture(scope="module")
def baseline() -> dict[str, object]:
    return json.loads(parser_quality.BASELINE.read_text())


def test_overall_accuracy_meets_the_floor(scores: list[parser_quality.FileScore], baseline: dict[str, object]) -> None:
    overall = parser_quality.overall(scores)
    assert overall >= FLOOR
    assert overall >= float(baseline["overall"]) - EPSILON  # type: ignore[arg-type]


def test_no_file_regresses(scores: list[parser_quality.FileScore], baseline: dict[str, object]) -> None:
    files = baseline["files"]
    assert isinstance(files, dict)
    assert {s.name for s in scores} == set(files), (
        "fixtures and baseline differ: rerun the benchmark with --write-baseline"
    )
    regressions = {
        s.name: (s.accuracy, files[s.name], [f"{f.name}: {f.expected!r} → {f.got!r}" for f in s.fields if not f.ok])
        for s in scores
        if s.accuracy < files[s.name] - EPSILON
    }
    assert not regressions


def test_the_benchmark_covers_public_and_generated_resumes(scores: list[parser_quality.FileScore]) -> None:
    names = {s.name for s in scores}
    assert {"reactive-resume-onyx", "resume-matcher-single-column", "jobsync-standard"} <= names
    assert sum(name.startswith("gen-") for name in names) >= 8
    assert sum(s.total for s in scores) >= 300


def test_scoring_counts_invented_entries_against_the_parser() -> None:
    truth = {"basics": {"name": "A B"}, "work": [{"name": "Acme", "position": "Engineer", "startDate": "2019-01"}]}
    exact = {"basics": {"name": "a  b"}, "work": [{"name": "ACME", "position": "engineer", "startDate": "2019-01"}]}
    assert parser_quality.score(exact, truth).accuracy == 1.0
    invented = {**exact, "work": [*exact["work"], {"name": "Globex", "position": "CEO"}]}
    assert parser_quality.score(invented, truth).accuracy == 4 / 5
    wrong_date = {**exact, "work": [{"name": "Acme", "position": "Engineer", "startDate": "2019"}]}
    assert parser_quality.score(wrong_date, truth).accuracy == 3 / 4
