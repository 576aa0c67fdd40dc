"""The committed frontend contract matches what the code generates (regenerate: `make contract`): the
JSON documents, the TypeScript types generated from them, and the dashboard's and the extension's JS
builds. Rendering runs the pinned generators and `tsc` (which type-checks the client, the usage
example, the dashboard and the extension), so a type error fails here too."""

import json
from pathlib import Path

import pytest

from backend.devtools import contract


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return contract.rendered()


DOCUMENTS = ["openapi.json", "asyncapi.yaml", "events.schema.json"]
GENERATED = [
    *DOCUMENTS,
    *contract.TYPES,
    "dashboard/js/client/realtime.js",
    "dashboard/js/dashboard/src/main.js",
    "extension/js/popup.js",
]


def test_every_contract_file_is_rendered(rendered: dict[str, str]) -> None:
    assert set(GENERATED) <= set(rendered)
    built = {name for name in rendered if name.startswith(contract.BUILT_JS)}
    assert set(rendered) - built == {*DOCUMENTS, *contract.TYPES}


def test_committed_contract_matches_the_code(rendered: dict[str, str]) -> None:
    drifted = [name for name, text in rendered.items() if contract._read(contract.CONTRACT_DIR / name) != text]
    assert drifted == [], f"frontend_contract/{drifted} drifted: run `make contract` and commit it"
    assert contract._strays(rendered) == [], "dashboard or extension JS that nothing builds: run `make contract`"


def test_generated_types_cover_every_operation_and_event(rendered: dict[str, str]) -> None:
    schema = json.loads(rendered["openapi.json"])
    operation_ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    api_types = rendered["types/api.d.ts"]
    assert all(f"    {operation_id}: {{" in api_types for operation_id in operation_ids)
    events = json.loads(rendered["events.schema.json"])
    assert all(f'type: "{name}";' in rendered["types/events.d.ts"] for name in events["discriminator"]["mapping"])


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


def test_the_readme_catalogues_every_event_type(rendered: dict[str, str]) -> None:
    readme = (contract.CONTRACT_DIR / "README.md").read_text()
    types = json.loads(rendered["events.schema.json"])["discriminator"]["mapping"]
    missing = [name for name in types if f"`{name}`" not in readme]
    assert missing == [], f"frontend_contract/README.md's event catalogue lacks {missing}"


def test_the_dashboard_talks_to_the_api_only_through_the_typed_client() -> None:
    sources = sorted((contract.CONTRACT_DIR / "dashboard" / "src").glob("*.ts"))
    assert sources
    for path in sources:
        text = path.read_text()
        assert "fetch(" not in text and "new WebSocket" not in text and "/api/v1" not in text, path.name
