"""Rollouts lose no request (docs/deployment.md "Canary and blue-green"), checked offline on the
rendered overlays (tests/contract/k8s.py, the same objects `kubectl apply -k` sends):

- the canary Ingress claims exactly the main Ingress's host and paths, with a weight, and routes to a
  Service that selects the canary pods only (the stable Service never selects them);
- the canary pod is the stable api pod (probes, preStop, grace period, resources), apart from labels;
- every Deployment has a PodDisruptionBudget that selects its pods and never blocks a node drain,
  a readiness probe, `maxUnavailable: 0` when it rolls; a Deployment behind a Service sleeps in
  preStop, and its grace period outlasts that sleep plus uvicorn's graceful-shutdown bound;
- staging is the whole system in its own namespace on its own host.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.contract.k8s import render
from tests.support import ROOT

K8S = ROOT / "ops" / "k8s"
PRODUCTION = render(K8S / "overlays" / "production")
CANARY = render(K8S / "overlays" / "canary")
STAGING = render(K8S / "overlays" / "staging")
LIVE = PRODUCTION + CANARY  # what runs in the production namespace during a canary
CANARY_ANNOTATIONS = "nginx.ingress.kubernetes.io/canary"


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (doc,) = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    return doc


def _of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def _routes(ingress: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (rule["host"], path["path"], path["pathType"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }


def _backends(ingress: dict[str, Any]) -> set[str]:
    return {path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions In/NotIn) or a Service's plain selector."""
    match = selector.get("matchLabels", selector if "matchExpressions" not in selector else {})
    if any(labels.get(key) != value for key, value in match.items()):
        return False
    for expression in selector.get("matchExpressions", []):
        inside = labels.get(expression["key"]) in expression["values"]
        if inside != (expression["operator"] == "In"):
            return False
    return True


def _pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def _uvicorn_drain_seconds() -> int:
    entrypoint = (ROOT / "ops" / "docker" / "entrypoint.sh").read_text()
    (seconds,) = re.findall(r"--timeout-graceful-shutdown (\d+)", entrypoint)
    return int(seconds)


def test_the_canary_ingress_shadows_the_main_one_with_a_weight() -> None:
    main = _one(PRODUCTION, "Ingress", "career-copilot")
    canary = _one(CANARY, "Ingress", "career-copilot-canary")
    assert _routes(canary) == _routes(main)
    assert canary["spec"]["tls"] == main["spec"]["tls"]
    assert canary["spec"]["ingressClassName"] == main["spec"]["ingressClassName"]
    annotations = canary["metadata"]["annotations"]
    assert annotations[CANARY_ANNOTATIONS] == "true"
    assert 0 <= int(annotations[f"{CANARY_ANNOTATIONS}-weight"]) <= 100
    assert annotations[f"{CANARY_ANNOTATIONS}-by-header"] == "X-Canary"
    for ingress in _of_kind(PRODUCTION, "Ingress"):  # the stable ones are not canaries
        assert CANARY_ANNOTATIONS not in ingress["metadata"].get("annotations", {})
    assert {doc["metadata"]["namespace"] for doc in CANARY} == {main["metadata"]["namespace"]}


def test_each_track_has_its_own_pods_behind_its_own_service() -> None:
    stable = _one(PRODUCTION, "Deployment", "career-copilot-api")
    canary = _one(CANARY, "Deployment", "career-copilot-api-canary")
    (canary_service,) = [
        _one(CANARY, "Service", name) for name in _backends(_one(CANARY, "Ingress", "career-copilot-canary"))
    ]
    (stable_service,) = [
        _one(PRODUCTION, "Service", name) for name in _backends(_one(PRODUCTION, "Ingress", "career-copilot"))
    ]
    assert _selects(canary_service["spec"]["selector"], _pod_labels(canary))
    assert not _selects(canary_service["spec"]["selector"], _pod_labels(stable))
    assert _selects(stable_service["spec"]["selector"], _pod_labels(stable))
    assert not _selects(stable_service["spec"]["selector"], _pod_labels(canary))
    assert not _selects(stable["spec"]["selector"], _pod_labels(canary))  # no Deployment adopts the other's pods
    assert not _selects(canary["spec"]["selector"], _pod_labels(stable))
    for hpa in _of_kind(LIVE, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] != canary["metadata"]["name"]
    (api_policy,) = [doc for doc in _of_kind(PRODUCTION, "NetworkPolicy") if "ingress" in doc["spec"]]
    assert _selects(api_policy["spec"]["podSelector"], _pod_labels(canary))  # same inbound rules as stable


def test_the_canary_runs_the_stable_pod() -> None:
    stable = copy.deepcopy(_one(PRODUCTION, "Deployment", "career-copilot-api")["spec"]["template"]["spec"])
    canary = copy.deepcopy(_one(CANARY, "Deployment", "career-copilot-api-canary")["spec"]["template"]["spec"])
    for pod in (stable, canary):
        for constraint in pod["topologySpreadConstraints"]:
            constraint["labelSelector"]["matchLabels"].pop("app.kubernetes.io/component")
        assert pod["containers"][0]["image"].startswith("ghcr.io/career-copilot/career-copilot:")
        pod["containers"][0].pop("image")  # the release sets each track's tag
    assert canary == stable
    strategy = _one(CANARY, "Deployment", "career-copilot-api-canary")["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("deployment", _of_kind(LIVE, "Deployment"), ids=lambda doc: doc["metadata"]["name"])
def test_every_deployment_has_a_budget_a_readiness_probe_and_a_safe_strategy(deployment: dict[str, Any]) -> None:
    labels = _pod_labels(deployment)
    budgets = [pdb for pdb in _of_kind(LIVE, "PodDisruptionBudget") if _selects(pdb["spec"]["selector"], labels)]
    assert len(budgets) == 1, f"{len(budgets)} PodDisruptionBudgets select {labels}"
    budget = budgets[0]["spec"]
    replicas = deployment["spec"]["replicas"]
    if "minAvailable" in budget:  # a drain can always evict one pod
        assert budget["minAvailable"] < replicas
    else:
        assert budget["maxUnavailable"] >= 1
    pod = deployment["spec"]["template"]["spec"]
    for container in pod["containers"]:
        assert "readinessProbe" in container, container["name"]
    strategy = deployment["spec"]["strategy"]
    if strategy["type"] == "RollingUpdate":
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    else:
        assert deployment["metadata"]["name"] == "career-copilot-scheduler"  # never two schedulers


@pytest.mark.parametrize(
    "deployment",
    [
        doc
        for doc in _of_kind(LIVE, "Deployment")
        if any(_selects(service["spec"]["selector"], _pod_labels(doc)) for service in _of_kind(LIVE, "Service"))
    ],
    ids=lambda doc: doc["metadata"]["name"],
)
def test_a_served_pod_drains_before_it_stops(deployment: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 5  # ingress-nginx's endpoint update reaches every controller replica
    assert container["args"] == ["api"]  # the entrypoint that bounds uvicorn's drain
    assert pod["terminationGracePeriodSeconds"] > pre_stop + _uvicorn_drain_seconds()
    readiness = container["readinessProbe"]
    assert readiness["httpGet"]["path"] == "/health/ready"
    # a pod that stops answering is out of rotation within ~10 s
    assert readiness["periodSeconds"] * readiness["failureThreshold"] <= 10


def test_staging_is_the_whole_system_on_its_own_namespace_and_host() -> None:
    namespaces = {doc["metadata"].get("namespace") for doc in STAGING if doc["kind"] != "Namespace"}
    assert namespaces == {"career-copilot-staging"}
    assert [doc["metadata"]["name"] for doc in _of_kind(STAGING, "Namespace")] == ["career-copilot-staging"]
    objects = {(doc["kind"], doc["metadata"]["name"]) for doc in STAGING if doc["kind"] != "Namespace"}
    assert objects == {(doc["kind"], doc["metadata"]["name"]) for doc in PRODUCTION if doc["kind"] != "Namespace"}
    hosts = {host for ingress in _of_kind(STAGING, "Ingress") for host, _, _ in _routes(ingress)}
    tls = {
        host for ingress in _of_kind(STAGING, "Ingress") for entry in ingress["spec"]["tls"] for host in entry["hosts"]
    }
    assert hosts == tls == {"staging.example.com"}
    config = _one(STAGING, "ConfigMap", "career-copilot-config")["data"]
    assert config["PUBLIC_URL"] == config["ALLOWED_ORIGINS"] == "https://staging.example.com"
