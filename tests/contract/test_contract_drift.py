"""The committed frontend contract matches what the code generates (regenerate: `make contract`)."""

import json

from backend import contract


def test_committed_contract_matches_the_code() -> None:
    for name, text in contract.rendered().items():
        committed = (contract.CONTRACT_DIR / name).read_text()
        assert committed == text, f"frontend_contract/{name} drifted: run `make contract` and commit it"


def test_contract_lists_every_public_operation_with_problem_responses() -> None:
    schema = json.loads(contract.render_openapi())
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(op.get("operationId") for op in operations)
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]
