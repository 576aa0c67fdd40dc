"""The objects `kubectl apply -k DIR` would send, rendered offline for the manifest tests.

No kustomize binary runs on the build machines, so this applies the subset of kustomize the tree
uses, in kustomize's order: `resources` (files and directories, recursively), JSON 6902 `patches`
(inline, targeted by kind and/or name), `namespace` (a Namespace object is renamed to it), `labels`
(metadata only), `images` (name, tag) and `replicas`. Any other key fails, so a kustomization that
starts using one is noticed here before a cluster renders it differently.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "labels", "resources", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
WORKLOADS = {"Deployment", "DaemonSet", "Job", "StatefulSet"}


def render(directory: Path) -> list[dict[str, Any]]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - SUPPORTED
    assert not unknown, f"{directory}/kustomization.yaml uses {sorted(unknown)}: teach tests/contract/k8s.py"
    documents: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        assert path.exists(), f"{directory}/kustomization.yaml lists a missing {entry}"
        if path.is_dir():
            documents += render(path)
        else:
            documents += [copy.deepcopy(doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    for patch in spec.get("patches", []):
        _patch(documents, patch)
    if "namespace" in spec:
        for doc in documents:
            if doc["kind"] == "Namespace":
                doc["metadata"]["name"] = spec["namespace"]
            elif doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    for label in spec.get("labels", []):
        assert not label.get("includeSelectors") and not label.get("includeTemplates"), label
        for doc in documents:
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in spec.get("images", []):
        for container in _containers(documents):
            name, _, _ = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    for replicas in spec.get("replicas", []):
        (doc,) = [
            doc for doc in documents if doc["kind"] == "Deployment" and doc["metadata"]["name"] == replicas["name"]
        ]
        doc["spec"]["replicas"] = replicas["count"]
    return documents


def _containers(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        container
        for doc in documents
        if doc["kind"] in WORKLOADS
        for container in doc["spec"]["template"]["spec"]["containers"]
    ]


def _patch(documents: list[dict[str, Any]], patch: dict[str, Any]) -> None:
    target = patch["target"]
    assert set(target) <= {"kind", "name"} and "path" not in patch, f"unsupported patch {patch}"
    matched = [
        doc
        for doc in documents
        if doc["kind"] == target.get("kind", doc["kind"])
        and doc["metadata"]["name"] == target.get("name", doc["metadata"]["name"])
    ]
    assert matched, f"the patch targets nothing: {target}"
    for doc in matched:
        for operation in yaml.safe_load(patch["patch"]):
            _apply(doc, operation)


def _apply(doc: dict[str, Any], operation: dict[str, Any]) -> None:
    """One JSON 6902 operation (add, replace, remove); a replace or remove of a missing path fails."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) and last != "-" else last
    op = operation["op"]
    if op in ("replace", "remove"):
        assert (0 <= key < len(node)) if isinstance(node, list) else key in node, f"no {operation['path']}"
    if op == "remove":
        del node[key]
    elif op == "add" and isinstance(node, list):
        node.insert(len(node) if key == "-" else key, operation["value"])
    elif op in ("add", "replace"):
        node[key] = operation["value"]
    else:
        raise AssertionError(f"unsupported patch operation {op}")
