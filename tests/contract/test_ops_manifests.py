"""The deployment files agree with the code (validated in CI: no cluster runs here).

- Every Kubernetes manifest kustomize would apply is valid against the Kubernetes JSON schemas
  (kubernetes-validate, offline) and keeps the rules the design depends on.
- Every metric an alert or a Grafana panel uses is one the api really exports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from tests.support import ROOT

K8S = ROOT / "ops" / "k8s"
MONITORING = ROOT / "ops" / "monitoring"
KUBERNETES_VERSION = "1.33.0"
PROCESSES = {"api", "worker", "scheduler", "migrate"}  # ops/docker/entrypoint.sh


def _kustomized(directory: Path) -> list[dict[str, Any]]:
    """The resources a kustomization lists, recursively through bases (no transformation)."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        assert path.exists(), f"{directory}/kustomization.yaml lists a missing {entry}"
        if path.is_dir():
            documents += _kustomized(path)
        else:
            documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


RESOURCES = _kustomized(K8S / "overlays" / "production")
WORKLOADS = [doc for doc in RESOURCES if doc["kind"] in ("Deployment", "Job")]


def _name(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("doc", RESOURCES, ids=_name)
def test_every_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_secret_example_is_valid_but_not_applied() -> None:
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    kubernetes_validate.validate(example, KUBERNETES_VERSION, strict=True)
    assert "Secret" not in {doc["kind"] for doc in RESOURCES}


@pytest.mark.parametrize("doc", WORKLOADS, ids=_name)
def test_every_workload_runs_locked_down_with_limits_and_our_settings(doc: dict[str, Any]) -> None:
    pod = doc["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == "career-copilot"
    for container in pod["containers"]:
        assert set(container["args"]) <= PROCESSES
        assert {"requests", "limits"} <= set(container["resources"])
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert sources == {"career-copilot-config", "career-copilot-secrets"}


def test_exactly_one_scheduler_even_during_a_rollout() -> None:
    (scheduler,) = [doc for doc in RESOURCES if doc["metadata"]["name"] == "career-copilot-scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert not [doc for doc in RESOURCES if doc["kind"] == "HorizontalPodAutoscaler" and "scheduler" in str(doc)]


def test_configured_variables_are_ones_the_app_reads() -> None:
    read_by_app = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', (ROOT / "backend" / "settings.py").read_text()))
    read_by_uvicorn = {"FORWARDED_ALLOW_IPS", "PORT"}  # PORT: ops/docker/entrypoint.sh
    (config,) = [doc for doc in RESOURCES if doc["kind"] == "ConfigMap"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    unknown = (set(config["data"]) | set(secret["stringData"])) - read_by_app - read_by_uvicorn
    assert not unknown, f"variables nothing reads: {sorted(unknown)}"


def _family(sample: str) -> str:
    """`x_total`, `x_bucket`, `x_count`… → `x` (exposition formats differ in what TYPE lines name)."""
    return re.sub(r"_(bucket|sum|count|total|created)$", "", sample)


async def test_the_api_probes_and_every_monitored_metric_exist(client: httpx.AsyncClient) -> None:
    (api,) = [doc for doc in WORKLOADS if doc["metadata"]["name"] == "career-copilot-api"]
    container = api["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert (await client.get(container[probe]["httpGet"]["path"])).status_code == 200, probe

    exposition = (await client.get("/metrics")).text
    exported = {_family(name) for name in re.findall(r"^# TYPE (\S+) ", exposition, re.MULTILINE)}
    alerts = (MONITORING / "alerts.yml").read_text()
    dashboards = [json.loads(path.read_text()) for path in (MONITORING / "grafana" / "dashboards").glob("*.json")]
    exprs = [target["expr"] for board in dashboards for panel in board["panels"] for target in panel["targets"]]
    used = set(re.findall(r"career_copilot_[a-z_]+", alerts + "\n".join(exprs)))
    assert dashboards and len(used) >= 8
    missing = {_family(name) for name in used} - exported
    assert not missing, f"monitored but not exported: {sorted(missing)}"


def test_the_public_edge_routes_the_app_but_refuses_metrics() -> None:
    ingresses = [doc for doc in RESOURCES if doc["kind"] == "Ingress"]
    routed = {
        (rule["host"], path["path"], path["pathType"]): doc["metadata"].get("annotations", {})
        for doc in ingresses
        for rule in doc["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    hosts = {host for host, _, _ in routed}
    for host in hosts:  # the longer prefix wins over `/` on the same host (ingress-nginx)
        assert "denylist-source-range" not in str(routed[(host, "/", "Prefix")])
        # a Prefix: `/metrics/` and `/metrics//` are the same route to the api (Litestar strips the slash)
        denied = routed[(host, "/metrics", "Prefix")]["nginx.ingress.kubernetes.io/denylist-source-range"]
        assert set(denied.split(",")) == {"0.0.0.0/0", "::/0"}


def test_every_long_running_process_has_a_health_check_that_exists() -> None:
    """Pods and compose services of the worker and scheduler run `python -m tasks.heartbeat ROLE`
    (exercised for real in tests/tasks/test_heartbeat.py); the api's use HTTP paths."""
    deployments = {doc["spec"]["template"]["spec"]["containers"][0]["args"][0]: doc for doc in RESOURCES
                   if doc["kind"] == "Deployment"}  # fmt: skip
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(deployments) == {"api", "worker", "scheduler"}
    for role in ("worker", "scheduler"):
        probe = deployments[role]["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"]["command"]
        assert probe[:4] == ["python", "-m", "tasks.heartbeat", role], probe
        assert compose[role]["healthcheck"]["test"][1:5] == probe[:4]
    assert (ROOT / "tasks" / "heartbeat.py").exists()
    assert "healthcheck" in compose["api"]
