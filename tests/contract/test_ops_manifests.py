"""The deployment files agree with the code (validated in CI: no cluster runs here).

- Every Kubernetes manifest kustomize would apply (each overlay, rendered by tests/contract/k8s.py) is
  valid against the Kubernetes JSON schemas (kubernetes-validate, offline) and keeps the rules the
  design depends on.
- Every metric an alert or a Grafana panel uses is one the api really exports.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from backend.devtools import configuration
from tests.contract.k8s import render
from tests.support import ROOT

K8S = ROOT / "ops" / "k8s"
MONITORING = ROOT / "ops" / "monitoring"
KUBERNETES_VERSION = "1.33.0"
PROCESSES = {"api", "worker", "scheduler", "migrate"}  # ops/docker/entrypoint.sh


OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir())
RENDERED = {overlay: render(K8S / "overlays" / overlay) for overlay in OVERLAYS}
RESOURCES = RENDERED["production"]
WORKLOADS = [doc for doc in RESOURCES if doc["kind"] in ("Deployment", "Job")]


def _name(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize(
    "doc",
    [doc for overlay in OVERLAYS for doc in RENDERED[overlay]],
    ids=lambda doc: f"{doc['metadata'].get('namespace', '-')}/{_name(doc)}",
)
def test_every_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    """Every overlay: production, staging and the canary track."""
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_overlays_are_the_ones_the_docs_and_the_pipeline_use() -> None:
    assert set(OVERLAYS) == {"production", "staging", "canary"}


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
    (scheduler,) = [doc for doc in WORKLOADS if doc["metadata"]["name"] == "career-copilot-scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert not [doc for doc in RESOURCES if doc["kind"] == "HorizontalPodAutoscaler" and "scheduler" in str(doc)]


def test_configured_variables_are_ones_the_app_reads() -> None:
    (config,) = [doc for doc in RESOURCES if doc["kind"] == "ConfigMap"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    unknown = (set(config["data"]) | set(secret["stringData"])) - configuration.variables()
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
