"""The `archive_command` of a PostgreSQL server that archives (`archive_wal.py LOCAL_DIR PATH NAME
[S3_URL SERVER [ENDPOINT]]`, with %p and %f): the segment goes to the local directory first (written under a
temporary name, fsynced, renamed; an identical copy already there counts as done, a different one is
an error), then, when an S3 URL is given, to S3 with `barman-cloud-wal-archive` (gzip). A non-zero exit
makes PostgreSQL keep the segment and retry, so nothing is dropped while either repository is down.

A standalone script (PostgreSQL runs it as its own user, from its data directory): standard library only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def copy_durably(source: Path, target: Path) -> None:
    if target.exists():
        if target.read_bytes() == source.read_bytes():
            return  # archived before the server could record it: done
        raise SystemExit(f"archive_wal: {target} exists with other content")
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(source.read_bytes())
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def main(argv: list[str]) -> int:
    local, path, name, *remote = argv
    copy_durably(Path(path), Path(local) / name)
    if remote:
        s3_url, server, *endpoint = remote
        tool = Path(sys.executable).parent / "barman-cloud-wal-archive"
        command = [str(tool), "--gzip", *(["--endpoint-url", endpoint[0]] if endpoint else []), s3_url, server, path]
        return subprocess.run(command, check=False).returncode  # noqa: S603 - fixed tool, our arguments
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
