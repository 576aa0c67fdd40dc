"""Field-level accuracy of the resume parser over every fixture with known truth, and its speed.

    uv run python -m ops.bench.parser_quality               # table per file + overall + timings
    uv run python -m ops.bench.parser_quality --details     # also every field that is wrong
    uv run python -m ops.bench.parser_quality --write-baseline   # after a deliberate improvement
    uv run python -m ops.bench.parser_quality --split tune --details   # look only at the tune split

Fixtures: `tests/fixtures/resumes/*.pdf`, `generated/*.pdf` and `heldout/*.pdf` that have a
`<name>.truth.json` beside them. Truth is JSON Resume, except Reactive Resume's sample, whose truth
is Reactive Resume v4 JSON and is mapped here (`from_reactive_resume`). A truth file's `meta` names
the fixture's layout class (`layoutClass`) and split (`split`); files without one are in the tune
split. The held-out split (`heldout/`) is scored, never tuned on: see docs/parser.md.

Scored fields: basics name, email, phone; for every true work entry its company, position
and start date; every true school; every true skill (a group's keywords, or the skill's name when it
has none). Matching rules:

- text is compared normalised: NFKC, case-folded, '&' read as 'and', punctuation and runs of spaces
  dropped (`C++`, `C#` keep their signs); phones compare by their digits;
- dates compare as ISO partials, exactly (`2019-01` ≠ `2019`);
- true entries are paired with the parsed entry that agrees on most fields (each parsed entry
  pairs once); a parsed work entry, school or skill that pairs with nothing true counts as one
  wrong field, so inventing entries lowers the score just as missing them does.

Accuracy = right fields / (true fields + invented items), per file and over all files pooled.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `backend` importable
    sys.path.insert(0, str(ROOT))

from backend.engines.resume_parser import parse_isolated, parse_pdf  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "resumes"
SPLITS = ("tune", "heldout")
BASELINE = FIXTURES / "quality_baseline.json"
TWO_PAGE_FIXTURE = FIXTURES / "generated" / "gen-06-two-pages.pdf"
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}


@dataclass(frozen=True)
class Case:
    name: str
    pdf: Path
    truth: dict[str, Any]
    split: str = "tune"
    layout: str = ""  # the layout class a fixture was drawn for ("" for the older fixtures)


@dataclass
class Field:
    name: str
    expected: str
    got: str
    ok: bool


@dataclass
class FileScore:
    name: str
    fields: list[Field] = field(default_factory=list)
    seconds: float = 0.0
    split: str = "tune"
    layout: str = ""

    @property
    def correct(self) -> int:
        return sum(1 for f in self.fields if f.ok)

    @property
    def total(self) -> int:
        return len(self.fields)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0


# ------------------------------------------------------------------------------------------- truth


def _rr_date(text: str) -> tuple[str | None, str | None]:
    """Reactive Resume's free-text dates ('January 2019 to Present') as ISO partials, independently of
    the parser's own date code."""

    def one(part: str) -> str | None:
        year = re.search(r"\d{4}", part)
        if not year:
            return None
        month = re.search(r"[A-Za-z]{3}", part)
        if month and month.group(0).lower() in _MONTHS:
            return f"{year.group(0)}-{_MONTHS[month.group(0).lower()]:02d}"
        return year.group(0)

    parts = re.split(r"\s+(?:to|-|\u2013)\s+", text)
    start = one(parts[0]) if parts else None
    end = one(parts[1]) if len(parts) > 1 else None
    return start, end


def from_reactive_resume(data: dict[str, Any]) -> dict[str, Any]:
    """Reactive Resume v4 JSON → the JSON Resume fields the benchmark scores."""
    basics = data["basics"]
    sections = data["sections"]
    work = []
    for item in sections["experience"]["items"]:
        start, end = _rr_date(item.get("date", ""))
        entry = {"name": item["company"], "position": item["position"], "startDate": start}
        if end:
            entry["endDate"] = end
        work.append(entry)
    education = [
        {"institution": i["institution"], "studyType": i.get("studyType"), "area": i.get("area")}
        for i in sections["education"]["items"]
    ]
    skills = [{"name": i["name"], "keywords": list(i.get("keywords", []))} for i in sections["skills"]["items"]]
    return {
        "basics": {"name": basics["name"], "email": basics["email"], "phone": basics["phone"]},
        "work": work,
        "education": education,
        "skills": skills,
    }


def load_cases(root: Path = FIXTURES, split: str | None = None) -> list[Case]:
    """Every fixture with truth; only those of `split` when given."""
    cases = []
    for pdf in sorted([*root.glob("*.pdf"), *(root / "generated").glob("*.pdf"), *(root / "heldout").glob("*.pdf")]):
        truth_file = pdf.with_name(pdf.stem + ".truth.json")
        if not truth_file.exists():
            continue
        truth = json.loads(truth_file.read_text())
        if "sections" in truth:
            truth = from_reactive_resume(truth)
        meta = truth.get("meta") or {}
        case = Case(pdf.stem, pdf, truth, str(meta.get("split", "tune")), str(meta.get("layoutClass", "")))
        if split is None or case.split == split:
            cases.append(case)
    return cases


# ----------------------------------------------------------------------------------------- scoring


def norm(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).casefold().replace("&", " and ")
    text = re.sub(r"[^\w+#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _flat_skills(skills: Iterable[dict[str, Any]]) -> list[str]:
    items: list[str] = []
    for skill in skills:
        keywords = [k for k in skill.get("keywords") or [] if k]
        items.extend(keywords if keywords else [skill.get("name", "")])
    return [item for item in items if item]


def _pair(
    truth: list[dict[str, Any]], parsed: list[dict[str, Any]], keys: tuple[str, ...]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each true entry with the unused parsed entry agreeing on most `keys` (None when none agrees)."""
    used: set[int] = set()
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for expected in truth:
        best, best_hits = None, 0
        for index, candidate in enumerate(parsed):
            if index in used:
                continue
            hits = sum(1 for k in keys if expected.get(k) and norm(expected.get(k)) == norm(candidate.get(k)))
            if hits > best_hits:
                best, best_hits = index, hits
        if best is not None:
            used.add(best)
        pairs.append((expected, parsed[best] if best is not None else None))
    return pairs


def score(parsed: dict[str, Any], truth: dict[str, Any], name: str = "") -> FileScore:
    result = FileScore(name)
    add = result.fields.append
    true_basics, got_basics = truth.get("basics", {}), parsed.get("basics", {})
    for key in ("name", "email"):
        if true_basics.get(key):
            expected, got = true_basics[key], got_basics.get(key, "")
            add(Field(f"basics.{key}", expected, got, norm(expected) == norm(got)))
    if true_basics.get("phone"):
        expected, got = true_basics["phone"], got_basics.get("phone", "")
        add(Field("basics.phone", expected, got, _digits(expected) == _digits(got)))

    parsed_work = list(parsed.get("work", []))
    pairs = _pair(truth.get("work", []), parsed_work, ("name", "position", "startDate"))
    for index, (expected, got_entry) in enumerate(pairs):
        got_entry = got_entry or {}
        for key, label in (("name", "company"), ("position", "position"), ("startDate", "startDate")):
            if expected.get(key):
                got = got_entry.get(key, "")
                ok = (expected[key] == got) if key == "startDate" else norm(expected[key]) == norm(got)
                add(Field(f"work[{index}].{label}", expected[key], got, ok))
    paired = [id(g) for _, g in pairs if g is not None]
    for extra in (w for w in parsed_work if id(w) not in paired):
        add(Field("work[invented]", "", f"{extra.get('name', '')} / {extra.get('position', '')}", False))

    parsed_schools = list(parsed.get("education", []))
    school_pairs = _pair(truth.get("education", []), parsed_schools, ("institution",))
    for index, (expected, got_entry) in enumerate(school_pairs):
        got = (got_entry or {}).get("institution", "")
        add(
            Field(
                f"education[{index}].institution",
                expected["institution"],
                got,
                norm(expected["institution"]) == norm(got),
            )
        )
    paired = [id(g) for _, g in school_pairs if g is not None]
    for extra in (s for s in parsed_schools if id(s) not in paired):
        add(Field("education[invented]", "", extra.get("institution", ""), False))

    true_skills = _flat_skills(truth.get("skills", []))
    got_skills = {norm(s) for s in _flat_skills(parsed.get("skills", []))}
    for skill in true_skills:
        add(Field("skill", skill, skill if norm(skill) in got_skills else "", norm(skill) in got_skills))
    known = {norm(s) for s in true_skills} | {norm(s.get("name")) for s in truth.get("skills", [])}
    for extra in sorted(got_skills - known):
        add(Field("skill[invented]", "", extra, False))
    return result


# --------------------------------------------------------------------------------------------- run


def run(cases: list[Case] | None = None) -> list[FileScore]:
    scores = []
    for case in cases if cases is not None else load_cases():
        data = case.pdf.read_bytes()
        started = time.perf_counter()
        result = parse_pdf(data)
        elapsed = time.perf_counter() - started
        file_score = score(result.resume, case.truth, case.name)
        file_score.seconds = elapsed
        file_score.split, file_score.layout = case.split, case.layout
        scores.append(file_score)
    return scores


def overall(scores: list[FileScore]) -> float:
    total = sum(s.total for s in scores)
    return sum(s.correct for s in scores) / total if total else 1.0


def by_split(scores: list[FileScore]) -> dict[str, list[FileScore]]:
    return {split: [s for s in scores if s.split == split] for split in SPLITS if any(s.split == split for s in scores)}


def by_class(scores: list[FileScore]) -> dict[tuple[str, str], list[FileScore]]:
    """(layout class, split) → its files, for the fixtures drawn for a layout class."""
    groups: dict[tuple[str, str], list[FileScore]] = {}
    for s in scores:
        if s.layout:
            groups.setdefault((s.layout, s.split), []).append(s)
    return dict(sorted(groups.items()))


def time_two_page(runs: int = 15, isolated_runs: int = 5) -> tuple[float, float | None]:
    """Median seconds to parse the 2-page fixture in-process, and through `parse_isolated` (a child
    process per parse, as the worker runs it)."""
    data = TWO_PAGE_FIXTURE.read_bytes()
    parse_pdf(data)  # warm caches: first-call costs are not per-resume costs
    in_process = []
    for _ in range(runs):
        started = time.perf_counter()
        parse_pdf(data)
        in_process.append(time.perf_counter() - started)
    isolated = []
    for _ in range(isolated_runs):
        started = time.perf_counter()
        parse_isolated(data, max_pages=20)
        isolated.append(time.perf_counter() - started)
    return statistics.median(in_process), statistics.median(isolated) if isolated else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="print every wrong field")
    parser.add_argument("--write-baseline", action="store_true", help=f"store per-file accuracy in {BASELINE.name}")
    parser.add_argument("--runs", type=int, default=15, help="timing runs in-process (median)")
    parser.add_argument("--isolated-runs", type=int, default=5, help="timing runs through parse_isolated (0 = skip)")
    parser.add_argument("--split", choices=SPLITS, help="score only this split (default: all)")
    args = parser.parse_args(argv)
    if args.write_baseline and args.split:
        parser.error("--write-baseline needs every split")

    scores = run(load_cases(split=args.split))
    width = max(len(s.name) for s in scores)
    print(f"{'file':<{width}}  {'right':>5}  {'fields':>6}  {'accuracy':>8}  {'parse ms':>8}")
    for s in scores:
        print(f"{s.name:<{width}}  {s.correct:>5}  {s.total:>6}  {s.accuracy:>8.1%}  {s.seconds * 1000:>8.1f}")
        if args.details:
            for f in s.fields:
                if not f.ok:
                    print(f"{'':<{width}}    ✗ {f.name}: expected {f.expected!r}, got {f.got!r}")

    def line(label: str, group: list[FileScore]) -> None:
        total = sum(s.total for s in group)
        print(f"{label:<{width}}  {sum(s.correct for s in group):>5}  {total:>6}  {overall(group):>8.1%}")

    line("OVERALL", scores)
    for split, group in by_split(scores).items():
        line(f"  split {split}", group)
    for (layout, split), group in by_class(scores).items():
        line(f"  class {layout} ({split})", group)
    in_process, isolated = time_two_page(args.runs, args.isolated_runs)
    print(f"\nparse time per 2-page resume ({TWO_PAGE_FIXTURE.name}), median:")
    print(f"  in-process parse_pdf:      {in_process * 1000:7.1f} ms  ({args.runs} runs)")
    if isolated is not None:
        print(f"  parse_isolated (sandbox):  {isolated * 1000:7.1f} ms  ({args.isolated_runs} runs, incl. child start)")
    if args.write_baseline:
        baseline = {
            "overall": round(overall(scores), 4),
            "splits": {split: round(overall(group), 4) for split, group in by_split(scores).items()},
            "classes": {f"{layout} ({split})": round(overall(g), 4) for (layout, split), g in by_class(scores).items()},
            "files": {s.name: round(s.accuracy, 4) for s in scores},
        }
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"\nbaseline written to {BASELINE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
