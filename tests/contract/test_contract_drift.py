"""The committed frontend contract matches what the code generates (regenerate: `python -m backend.contract`)."""

import json
from pathlib import Path

import pytest

from backend import contract


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return contract.rendered()


def test_every_contract_file_is_rendered(rendered: dict[str, str]) -> None:
    assert set(rendered) == {"openapi.json", "asyncapi.yaml", "events.schema.json"}


@pytest.mark.parametrize("name", ["openapi.json", "asyncapi.yaml", "events.schema.json"])
def test_committed_contract_matches_the_code(rendered: dict[str, str], name: str) -> None:
    committed = (contract.CONTRACT_DIR / name).read_text()
    assert committed == rendered[name], (
        f"frontend_contract/{name} drifted: run `python -m backend.contract` and commit it"
    )


def test_check_mode_reports_drift(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(contract, "CONTRACT_DIR", tmp_path)
    monkeypatch.setattr(contract, "rendered", lambda: {"a.json": "{}\n", "b.yaml": "x: 1\n"})
    (tmp_path / "a.json").write_text("{}\n")
    assert contract.main(["--check"]) == 1
    assert "b.yaml" in capsys.readouterr().err
    assert contract.main([]) == 0
    assert contract.main(["--check"]) == 0


def test_contract_lists_every_public_operation_with_problem_responses(rendered: dict[str, str]) -> None:
    schema = json.loads(rendered["openapi.json"])
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(op.get("operationId") for op in operations)
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]
