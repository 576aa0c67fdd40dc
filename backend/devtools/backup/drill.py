"""`make restore-drill`: prove a backup restores, on a fresh machine with nothing else running.

An embedded PostgreSQL that archives every WAL segment (local disk and an S3 server on loopback, moto),
Redis, and the real api serving HTTP. Writers sign users up, create and edit applications and upload
resume PDFs (stored encrypted in a versioned S3 bucket) through the api the whole time. Meanwhile: a full
base backup, more writes, an incremental one, more writes; then the target: writers pause, the drill
records every table's row count and checksum and the document objects, notes the time, and writers go
on. The archive is restored twice into new data directories, from S3 (barman-cloud) and from local disk
(pg_combinebackup), each replayed to the target and started; each must hold exactly what the source
held at the target, and every document it references must exist in the copy bucket (filled by `manage copy-objects`) and
decrypt there. Prints

    restore verified: N tables, M rows, K objects, RPO x s, RTO y s

and exits 0 only if everything matches. RPO: how long after the target its WAL reached S3 (what a crash
at the target could lose); RTO: from an empty directory to a promoted, verified server (the S3 restore).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3

from backend.devtools.backup.fingerprint import documents_readable, fingerprint
from backend.devtools.backup.repository import Repository, S3Target, wait_archived, wait_promoted
from backend.devtools.backup.writers import ApiServer, Writers
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_port
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DATABASE = "drill"
PG_BUCKET, DOCUMENT_BUCKET, COPY_BUCKET = "pg-backups", "documents", "documents-copy"


STARTED = time.monotonic()


def _step(what: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.1f} s] {what}", file=sys.stderr, flush=True)


def _moto(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (tmp / "moto.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - the moto server from this environment
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port)
    return server, f"http://127.0.0.1:{port}"


def _buckets(endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    for bucket in (PG_BUCKET, DOCUMENT_BUCKET, COPY_BUCKET):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def _restore(repo: Repository, source: str, target: datetime, tmp: Path) -> tuple[EmbeddedPostgres, float]:
    started = time.monotonic()
    restored = EmbeddedPostgres(tmp / f"restored-{source}", free_port(), settings={"archive_mode": "off"})
    repo.restore(restored, target=target, source=source)
    restored.start()
    wait_promoted(restored)
    return restored, time.monotonic() - started


def run(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="restore-drill-"))
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "drill", "AWS_SECRET_ACCESS_KEY": "drill", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    moto, endpoint = _moto(tmp)
    stack: list[EmbeddedPostgres | EmbeddedRedis] = []
    api: ApiServer | None = None
    ok = False
    try:
        _buckets(endpoint)
        repo = Repository(tmp / "backups", S3Target(f"s3://{PG_BUCKET}/postgres", endpoint=endpoint))
        pg = EmbeddedPostgres(tmp / "pg", free_port(), settings=repo.server_settings())
        repo.prepare(pg)
        pg.start()
        stack.append(pg)
        pg.create_database(DATABASE)
        redis = EmbeddedRedis(tmp / "redis", free_port(), persistent=False)
        redis.start()
        stack.append(redis)
        env = {
            "APP_ENV": "test",
            "DATABASE_URL": pg.url(DATABASE),
            "REDIS_URL": redis.url(),
            "DATA_DIR": str(tmp / "data"),
            "LOG_LEVEL": "WARNING",
            "S3_BUCKET": DOCUMENT_BUCKET,
            "S3_ENDPOINT_URL": endpoint,
            "S3_ACCESS_KEY_ID": "drill",
            "S3_SECRET_ACCESS_KEY": "drill",
            "S3_COPY_BUCKET": COPY_BUCKET,
            "LOGIN_MAX_FAILURES_PER_IP": "1000000",
            "REGISTER_MAX_PER_IP": "1000000",  # the writers sign up users all the time from 127.0.0.1
        }
        migrate = [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "career_copilot"]
        subprocess.run(migrate, cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)  # noqa: S603
        os.environ.update(env)
        api = ApiServer(free_port())
        api.start()
        _step(f"api serving on {api.url}, {args.writers} writers start")
        writers = Writers(api.url, count=args.writers)
        writers.start()

        phase = args.seconds / 4
        time.sleep(phase)
        repo.base_backup(pg)
        _step("full base backup taken (local and S3)")
        time.sleep(phase)
        repo.base_backup(pg, incremental=True)
        _step("incremental base backup taken (local), full on S3")
        time.sleep(phase)

        with writers.paused():
            source = asyncio.run(fingerprint(pg.url(DATABASE)))
            segment = pg.sql("SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
            time.sleep(0.05)
            target = datetime.now(UTC)
        rpo = wait_archived(pg, segment)
        _step(f"target {target.isoformat()} recorded; its WAL archived after {rpo:.1f} s")
        time.sleep(phase)
        writers.stop()
        wait_archived(pg, pg.sql("SELECT pg_walfile_name(pg_switch_wal())"))
        after = asyncio.run(fingerprint(pg.url(DATABASE)))
        _step(f"writers stopped after {writers.writes} writes; copying documents to the copy bucket")
        writers_failed = writers.failures
        copy_job = [sys.executable, "-m", "backend.entrypoints.manage", "copy-objects"]
        copied = subprocess.run(copy_job, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        in_copy = Settings.from_env({**os.environ, "S3_BUCKET": COPY_BUCKET})

        rto = 0.0
        mismatches: list[str] = []
        objects = 0
        for where in ("s3", "local"):
            _step(f"restoring from {where}")
            restored, seconds = _restore(repo, where, target, tmp)
            _step(f"restored from {where} in {seconds:.1f} s; comparing")
            stack.append(restored)
            got = asyncio.run(fingerprint(restored.url(DATABASE)))
            objects = asyncio.run(documents_readable(restored.url(DATABASE), in_copy))
            if where == "s3":
                rto = seconds
            mismatches += [f"{where}: {line}" for line in source.differences(got)]
            restored.stop()
        if not after.differences(source):
            mismatches.append("the writers changed nothing after the target: the drill proves nothing")
        if copied.returncode != 0:
            mismatches.append(f"the copy job failed: {copied.stdout.strip()} {copied.stderr.strip()[-500:]}")
        if writers_failed:
            mismatches.append(f"{writers_failed} writes through the api failed")
        for line in mismatches:
            print(f"restore drill: {line}", file=sys.stderr)
        if mismatches:
            print(f"restore FAILED: {len(mismatches)} differences (files kept in {tmp})", file=sys.stderr)
            return 1
        ok = True
        print(
            f"restore verified: {len(source.tables)} tables, {source.rows} rows, {objects} objects, "
            f"RPO {rpo:.1f} s, RTO {rto:.1f} s"
        )
        return 0
    finally:
        if api is not None:
            api.stop()
        for service in reversed(stack):
            service.stop()
        moto.terminate()
        moto.wait(10)
        if ok or not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make restore-drill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=24.0, help="how long the writers write (default 24)")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the files of a failed drill")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
