"""The log pipeline agrees with itself and with the app (offline: no Loki, Alloy or Grafana runs here).

- Loki's config, its rules, Grafana's provisioning and the dashboard parse; the dashboard's log
  panels use a datasource provisioning defines; compose mounts each file where its service reads it.
- Both Alloy pipelines (compose, Kubernetes) are well formed: balanced blocks, every component they
  forward to is defined, every environment variable they read is set where they run.
- Every label a LogQL expression (the Loki rules, the dashboard) selects, filters or groups by is a
  stream label both Alloy pipelines set, or a field of the app's real JSON log lines.
- The Kubernetes Alloy DaemonSet is valid Kubernetes, reads the kubelet's pod log files read-only
  and may list pods (RBAC), nothing more.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import kubernetes_validate
import pytest
import structlog
import yaml

from backend.platform.logging import formatter
from tests.contract.k8s import render
from tests.support import ROOT

MONITORING = ROOT / "ops" / "monitoring"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
K8S_LOGS = render(ROOT / "ops" / "k8s" / "monitoring")
KUBERNETES_VERSION = "1.33.0"
LOKI_CONFIG = yaml.safe_load((MONITORING / "loki" / "config.yaml").read_text())
LOKI_RULES = yaml.safe_load((MONITORING / "loki" / "rules.yml").read_text())
DASHBOARDS = [json.loads(path.read_text()) for path in (MONITORING / "grafana" / "dashboards").glob("*.json")]
DATASOURCES = [
    source
    for path in (MONITORING / "grafana" / "provisioning" / "datasources").glob("*.yml")
    for source in yaml.safe_load(path.read_text())["datasources"]
]
ERROR_RATE = 'sum(rate({app="career-copilot"} | json | level="error" [5m]))'


def _k8s(kind: str) -> dict[str, Any]:
    (doc,) = [doc for doc in K8S_LOGS if doc["kind"] == kind]
    return doc


ALLOY = {
    "compose": (MONITORING / "alloy" / "config.alloy").read_text(),
    "kubernetes": _k8s("ConfigMap")["data"]["config.alloy"],
}


# ---- Alloy configuration (a light reader of its syntax) ---------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_COMPONENT = re.compile(r'^\s*([a-z_]+(?:\.[a-z_]+)+)\s+"([a-z0-9_]*)"\s*\{\s*$')
_BLOCK = re.compile(r"^\s*[a-z_]+(?:\.[a-z_]+)*\s*\{\s*(\})?\s*$")
_ATTRIBUTE = re.compile(r"^\s*[a-z_]+\s*=\s*\S")
_REFERENCE = re.compile(r"\b((?:discovery|loki|local|prometheus)\.[a-z_.0-9]+)")


def _code(text: str) -> list[str]:
    """The lines without comments, string contents blanked (so braces in strings do not count)."""
    return [_STRING.sub('""', re.sub(r"//.*$", "", line)) for line in text.splitlines()]


def _components(text: str) -> set[str]:
    return {f"{match[1]}.{match[2]}" for line in text.splitlines() if (match := _COMPONENT.match(line))}


def _relabel_rules(text: str) -> list[dict[str, str]]:
    rules = []
    for body in re.findall(r"rule\s*\{([^{}]*)\}", text):
        rules.append(dict(re.findall(r'^\s*([a-z_]+)\s*=\s*"([^"]*)"', body, re.MULTILINE)))
    return rules


def _stream_labels(text: str) -> dict[str, set[str]]:
    """The labels the pipeline's relabel rules set (fixed values where the rule sets one)."""
    labels: dict[str, set[str]] = {}
    for rule in _relabel_rules(text):
        target = rule.get("target_label", "__")
        if rule.get("action", "replace") == "replace" and not target.startswith("__"):
            labels.setdefault(target, set()).add(rule.get("replacement", "$1"))
    return labels


@pytest.mark.parametrize("where", ALLOY)
def test_the_alloy_pipeline_is_well_formed(where: str) -> None:
    text = ALLOY[where]
    depth = 0
    for number, line in enumerate(_code(text), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if _COMPONENT.match(line) or _BLOCK.match(line):
            depth += 0 if stripped.endswith("}") else 1
        elif stripped == "}":
            depth -= 1
        else:
            assert _ATTRIBUTE.match(line) or (depth > 0 and stripped.startswith(("[", "{", "+"))), (
                f"line {number}: {line}"
            )
        assert depth >= 0, f"line {number}: unbalanced"
    assert depth == 0, "unbalanced blocks"

    defined = _components(text)
    assert {component.rsplit(".", 1)[0] for component in defined} >= {"loki.write", "loki.process"}
    for line in _code(text):
        if _COMPONENT.match(line):
            continue
        for reference in _REFERENCE.findall(line):
            owner, _, export = reference.rpartition(".")
            assert owner in defined and export in {"receiver", "targets", "output"}, (
                f"{where}: {reference} is not defined"
            )


def test_both_pipelines_set_the_same_stream_labels() -> None:
    compose, kubernetes = (_stream_labels(ALLOY[where]) for where in ("compose", "kubernetes"))
    assert compose["app"] == kubernetes["app"] == {"career-copilot"}
    assert {"app", "component"} <= set(compose) & set(kubernetes)
    assert set(kubernetes) - set(compose) == {"namespace", "pod", "container"}


# ---- LogQL: every label is one the pipeline sets or the log line carries ----------------------


def _logql_labels(expr: str) -> tuple[set[str], set[str]]:
    """(stream selector labels, labels used after the selector: filters, grouping, unwrap)."""
    code = _STRING.sub('""', expr)
    selectors = re.findall(r"\{([^{}]*)\}", code)
    stream = {label for selector in selectors for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector)}
    pipeline = re.sub(r"\{[^{}]*\}", "", code)
    used = set(re.findall(r"\|\s*(\w+)\s*(?:=~|!~|!=|==|>=|<=|=|>|<)", pipeline))
    for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", pipeline):
        used |= {label.strip() for label in grouping.split(",") if label.strip()}
    used |= set(re.findall(r"\bunwrap\s+(\w+)", pipeline))
    return stream, used


def _logql() -> dict[str, str]:
    expressions = {rule["alert"]: rule["expr"] for group in LOKI_RULES["groups"] for rule in group["rules"]}
    for board in DASHBOARDS:
        for panel in board["panels"]:
            if panel["datasource"]["type"] == "loki":
                for target in panel["targets"]:
                    expressions[f"{panel['title']} {target['refId']}"] = target["expr"]
    return expressions


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The app's log lines meanwhile, rendered as in production (LOG_JSON=true)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter(json=True))
    loggers = [logging.getLogger("career_copilot.http"), logging.getLogger("career_copilot.contract")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


async def test_every_logql_label_is_a_stream_label_or_a_field_of_the_json_lines(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    assert (await client.get("/health/live", headers={"X-Request-ID": "logql-labels-1"})).status_code == 200
    structlog.get_logger("career_copilot.contract").error("contract_probe", request_id="logql-labels-2")
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    (access,) = [line for line in lines if line.get("request_id") == "logql-labels-1"]
    (error,) = [line for line in lines if line.get("request_id") == "logql-labels-2"]
    assert error["level"] == "error"  # the value the rules filter on
    fields = set(access) | set(error)
    assert {"level", "event", "logger", "route", "status", "duration_ms", "request_id", "user_hash"} <= fields

    stream_labels = set(_stream_labels(ALLOY["compose"])) & set(_stream_labels(ALLOY["kubernetes"]))
    expressions = _logql()
    assert ERROR_RATE in expressions["CareerCopilotErrorLogs"]
    assert len(expressions) >= 3
    for name, expr in expressions.items():
        stream, used = _logql_labels(expr)
        assert stream and stream <= stream_labels, f"{name}: {sorted(stream - stream_labels)} set by no Alloy pipeline"
        assert "app" in stream, f"{name}: select the app's streams"
        unknown = used - stream_labels - fields
        assert not unknown, f"{name}: {sorted(unknown)} neither a stream label nor a log field"


# ---- files, datasources and where compose and Kubernetes mount them ----------------------------


def test_the_loki_rules_are_alerting_rules() -> None:
    rules = [rule for group in LOKI_RULES["groups"] for rule in group["rules"]]
    assert rules
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule)
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_the_dashboards_log_panels_use_a_provisioned_loki() -> None:
    provisioned = {source["uid"]: source for source in DATASOURCES}
    loki_panels = 0
    for board in DASHBOARDS:
        for panel in board["panels"]:
            for datasource in [panel["datasource"], *(target["datasource"] for target in panel["targets"])]:
                assert datasource["uid"] in provisioned, f"{panel['title']}: no datasource {datasource['uid']}"
                assert provisioned[datasource["uid"]]["type"] == datasource["type"]
            loki_panels += panel["datasource"]["type"] == "loki"
            if panel["type"] == "logs":
                assert panel["datasource"]["type"] == "loki"
    assert loki_panels >= 2
    assert any(panel["type"] == "logs" for board in DASHBOARDS for panel in board["panels"])
    ids = [panel["id"] for board in DASHBOARDS for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    (loki,) = [source for source in DATASOURCES if source["type"] == "loki"]
    assert loki["url"] == "http://loki:3100" and "loki" in COMPOSE


def _mounts(service: str) -> dict[str, str]:
    """In-container path -> host path (relative to the repository) of a compose service's bind mounts."""
    mounts = {}
    for volume in COMPOSE[service]["volumes"]:
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            mounts[target] = source[2:]
    return mounts


def test_compose_mounts_each_file_where_its_service_reads_it() -> None:
    loki = _mounts("loki")
    (config_flag,) = [arg for arg in COMPOSE["loki"]["command"] if arg.startswith("-config.file=")]
    assert loki[config_flag.partition("=")[2]] == "ops/monitoring/loki/config.yaml"
    # the ruler reads <directory>/<tenant>/*.yml; without auth the tenant is "fake"
    assert LOKI_CONFIG["auth_enabled"] is False
    rules_dir = LOKI_CONFIG["ruler"]["storage"]["local"]["directory"]
    assert loki[f"{rules_dir}/fake/rules.yml"] == "ops/monitoring/loki/rules.yml"
    port = LOKI_CONFIG["server"]["http_listen_port"]
    assert f'"http://loki:{port}/loki/api/v1/push"' in ALLOY["compose"]

    alloy = _mounts("alloy")
    assert alloy[COMPOSE["alloy"]["command"][-1]] == "ops/monitoring/alloy/config.alloy"
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in COMPOSE["alloy"]["volumes"]
    assert "unix:///var/run/docker.sock" in ALLOY["compose"]
    assert "loki" in COMPOSE["alloy"]["depends_on"]

    grafana = _mounts("grafana")
    assert grafana["/etc/grafana/provisioning"] == "ops/monitoring/grafana/provisioning"
    assert "loki" in COMPOSE["grafana"]["depends_on"]
    for path in [*loki.values(), *alloy.values(), *grafana.values()]:
        assert (ROOT / path).exists(), path


@pytest.mark.parametrize("doc", K8S_LOGS, ids=lambda doc: f"{doc['kind']}/{doc['metadata']['name']}")
def test_the_kubernetes_log_shipper_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_daemonset_reads_pod_logs_read_only_with_the_config_it_mounts() -> None:
    daemonset, config = _k8s("DaemonSet"), _k8s("ConfigMap")
    pod = daemonset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}

    config_mount = next(path for path, mount in mounts.items() if "configMap" in volumes[mount["name"]])
    assert volumes[mounts[config_mount]["name"]]["configMap"]["name"] == config["metadata"]["name"]
    assert f"{config_mount}/config.alloy" in container["args"]
    logs = mounts["/var/log/pods"]
    assert logs["readOnly"] is True and volumes[logs["name"]]["hostPath"]["path"] == "/var/log/pods"
    assert '"/var/log/pods/*$1/*.log"' in ALLOY["kubernetes"]
    storage = next(arg.partition("=")[2] for arg in container["args"] if arg.startswith("--storage.path="))
    assert storage in mounts and "hostPath" in volumes[mounts[storage]["name"]]  # read positions survive restarts

    environment = {variable["name"] for variable in container["env"]}
    assert set(re.findall(r'sys\.env\("(\w+)"\)', ALLOY["kubernetes"])) == environment
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def test_the_log_shipper_may_read_pods_and_nothing_else() -> None:
    daemonset, role, binding = _k8s("DaemonSet"), _k8s("ClusterRole"), _k8s("ClusterRoleBinding")
    account = _k8s("ServiceAccount")
    assert daemonset["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": account["metadata"]["namespace"]}
    ]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
