"""Backups of the embedded PostgreSQL and the restore drill (development and CI; production runs the
same tools from CloudNativePG or a CronJob, see docs/operations.md).

Two repositories, written at once by the WAL archiver:
- local disk (`<repo>/wal`, `<repo>/base/<label>`): every WAL segment, and base backups from PostgreSQL's
  own `pg_basebackup` (full, or incremental against the previous one through WAL summaries), verified
  with `pg_verifybackup` and put back together with `pg_combinebackup`;
- S3 (`s3://bucket/prefix`): barman-cloud's layout (`barman-cloud-wal-archive`, `barman-cloud-backup`),
  the one CloudNativePG reads, so a cluster can bootstrap from what the drill proved restorable.
"""
