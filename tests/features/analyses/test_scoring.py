"""Resume analysis scoring (no I/O)."""

from __future__ import annotations

from datetime import date

from backend.features.analyses.scoring import analyse
from tests import ai_fixtures


def test_keywords_are_matched_after_normalisation_and_checks_make_suggestions() -> None:
    resume = ai_fixtures.marcus(injected=False)
    resume["skills"].append({"name": "React.js"})
    job = "We want React, Postgres, Spark, Python, Kubernetes and Terraform."
    findings = analyse(resume, ai_fixtures.marcus_text(injected=False), job, today=date(2026, 1, 1))
    assert findings.keywords.matched == ["React", "Spark", "Python"]
    assert findings.keywords.missing == ["PostgreSQL", "Kubernetes", "Terraform"]
    checks = {c.id: c.passed for c in findings.checks}
    assert checks == {
        "contact_complete": True, "sections_present": False, "quantified_achievements": True,
        "action_verbs": True, "length": False, "dates_consistent": True,
    }  # fmt: skip
    assert 0 <= findings.score <= 100
    assert findings.score == round(60 * 3 / 6 + 40 * 4 / 6)
    assert any("PostgreSQL" in s and "Kubernetes" in s for s in findings.suggestions)
    assert any("education" in s for s in findings.suggestions)


def test_inconsistent_dates_and_missing_contact_are_flagged() -> None:
    resume = ai_fixtures.marcus(injected=False)
    resume["basics"].pop("phone")
    resume["work"][0]["endDate"] = "2018-01"  # before its start
    findings = analyse(resume, "", "Python", today=date(2026, 1, 1))
    checks = {c.id: c for c in findings.checks}
    assert not checks["contact_complete"].passed and "phone" in checks["contact_complete"].detail
    assert not checks["dates_consistent"].passed and "Corvus Analytics" in checks["dates_consistent"].detail


def test_the_injection_fixture_changes_nothing_in_the_analysis() -> None:
    clean = analyse(ai_fixtures.marcus(injected=False), "", ai_fixtures.BACKEND_JOB, today=date(2026, 1, 1))
    attacked = analyse(ai_fixtures.marcus(injected=True), "", ai_fixtures.BACKEND_JOB, today=date(2026, 1, 1))
    assert clean.keywords == attacked.keywords  # the injected line is scored as an (unquantified) bullet, nothing more
    assert "hacked" not in repr(attacked)
