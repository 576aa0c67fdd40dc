"""The backup pieces of the Kubernetes manifests agree with the code and with the restore drill.

The CloudNativePG resources are checked against the operator's API offline by
`tests/contract/cnpg_validate.mjs` (npm's @kubernetes-models/cloudnative-pg: its schema validator and
its TypeScript types, which refuse unknown fields); the checks below pin the fields the drill's
guarantees depend on."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from backend.entrypoints import manage
from tests.contract.k8s import render
from tests.support import ROOT

K8S = ROOT / "ops" / "k8s"
PRODUCTION = render(K8S / "overlays" / "production")
POSTGRES = render(K8S / "postgres")
CNPG_VALIDATOR = ROOT / "tests" / "contract" / "cnpg_validate.mjs"


def _validate_cnpg(documents: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "Node.js checks the CloudNativePG resources: apt-get install -y nodejs npm, then make npm-ci"
    assert (ROOT / "frontend_contract" / "node_modules" / "@kubernetes-models" / "cloudnative-pg").is_dir(), (
        "run make npm-ci"
    )
    return subprocess.run(
        [node, str(CNPG_VALIDATOR)], input=json.dumps(documents), capture_output=True, text=True, timeout=120
    )


def test_the_cloudnative_pg_resources_match_the_operators_api() -> None:
    done = _validate_cnpg(POSTGRES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked 2 CloudNativePG objects: Cluster/career-copilot-db, ScheduledBackup/" in done.stdout


def test_the_api_check_refuses_an_unknown_field_and_a_value_outside_an_enum() -> None:
    broken = copy.deepcopy(POSTGRES)
    cluster = _one(broken, "Cluster")
    cluster["spec"]["backup"]["barmanObjectStore"]["s3Credentialz"] = {}  # a misspelling, nested
    cluster["spec"]["backup"]["barmanObjectStore"]["wal"]["compression"] = "zip"
    done = _validate_cnpg(broken)
    assert done.returncode == 1
    assert "'\"s3Credentialz\"' does not exist" in done.stdout, done.stdout
    assert "wal/compression must be equal to one of the allowed values" in done.stdout, done.stdout


def _one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in docs if doc["kind"] == kind]
    return found


def test_the_object_copy_cronjob_runs_the_real_command_locked_down() -> None:
    cron = _one(PRODUCTION, "CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["args"][:3] == ["python", "-m", "backend.entrypoints.manage"]
    with pytest.raises(SystemExit) as parsed:  # the subcommand exists: --help exits 0
        manage.main([*container["args"][3:], "--help"])
    assert parsed.value.code == 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {next(iter(ref.values()))["name"] for ref in container["envFrom"]} == {
        "career-copilot-config",
        "career-copilot-secrets",
    }


def test_the_database_cluster_has_replicas_and_archives_to_s3_with_barman_cloud() -> None:
    cluster = _one(POSTGRES, "Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    spec = cluster["spec"]
    assert spec["instances"] >= 2, "a primary and at least one replica"
    major = int(re.search(r":(\d+)", spec["imageName"]).group(1))  # type: ignore[union-attr]
    assert major >= 17, "incremental backups and WAL summaries need PostgreSQL 17+"
    store = spec["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    assert store["wal"]["compression"] in {"gzip", "bzip2", "snappy"}
    assert store["data"]["compression"] in {"gzip", "bzip2", "snappy"}
    assert re.fullmatch(r"[1-9][0-9]*[dwm]", spec["backup"]["retentionPolicy"])
    assert int(spec["postgresql"]["parameters"]["archive_timeout"].rstrip("s")) <= 300
    for credential in store["s3Credentials"].values():
        assert credential["name"] == "career-copilot-backup-s3"


def test_the_nightly_backup_targets_the_cluster_with_a_valid_schedule() -> None:
    cluster, scheduled = _one(POSTGRES, "Cluster"), _one(POSTGRES, "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    fields = scheduled["spec"]["schedule"].split("#")[0].split()
    assert len(fields) == 6, "CloudNativePG schedules have six fields, seconds first"
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    assert all(doc["metadata"]["namespace"] == "career-copilot" for doc in POSTGRES)
