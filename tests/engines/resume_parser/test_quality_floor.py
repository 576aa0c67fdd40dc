"""The parser's accuracy floor: ≥ 95% overall and on the held-out split, ≥ 90% on each layout class in
each split, and no file below its committed baseline.

The benchmark is ops/bench/parser_quality.py (run it for the table); its baseline is
tests/fixtures/resumes/quality_baseline.json. After a deliberate improvement, rewrite the baseline
with `uv run python -m ops.bench.parser_quality --write-baseline` and commit it with the change. The
held-out split (tests/fixtures/resumes/heldout/) is never tuned on: see docs/parser.md.
"""

from __future__ import annotations

import json

import pytest

from ops.bench import parser_quality

FLOOR = 0.95
CLASS_FLOOR = 0.9
LAYOUT_CLASSES = {"sidebar-baseline", "gutter-dates", "label-headings", "europass", "marker-employer"}
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


def test_held_out_accuracy_meets_the_floor(scores: list[parser_quality.FileScore]) -> None:
    held_out = parser_quality.by_split(scores)["heldout"]
    assert {s.layout for s in held_out} == LAYOUT_CLASSES
    assert parser_quality.overall(held_out) >= FLOOR, [
        f"{s.name}: {f.name}: {f.expected!r} → {f.got!r}" for s in held_out for f in s.fields if not f.ok
    ]


@pytest.mark.parametrize("layout", sorted(LAYOUT_CLASSES))
@pytest.mark.parametrize("split", parser_quality.SPLITS)
def test_each_layout_class_meets_its_floor(scores: list[parser_quality.FileScore], layout: str, split: str) -> None:
    group = parser_quality.by_class(scores)[(layout, split)]
    assert len(group) >= 2
    assert parser_quality.overall(group) >= CLASS_FLOOR, [
        f"{s.name}: {f.name}: {f.expected!r} → {f.got!r}" for s in group for f in s.fields if not f.ok
    ]


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
