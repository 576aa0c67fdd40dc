"""Operator commands (`python -m backend.entrypoints.manage ...`):

- `set-role <email> admin|user` (make set-role);
- `copy-objects`: copy every stored file the database references into S3_COPY_BUCKET and verify each
  decrypts there; exits 1 when one is missing or unreadable (a CronJob in Kubernetes).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import msgspec

from backend.features.admin import service as admin_services
from backend.features.maintenance import object_copy
from backend.platform import redis_client, storage
from backend.platform.db import engine
from backend.settings import Settings


async def _set_role(email: str, role: str) -> int:
    settings = Settings.from_env()
    await engine.open_pool(settings.db)
    redis = redis_client.connect(settings.redis.url)  # the change is announced to the api's session memos
    try:
        found = await admin_services.set_role(email, role, redis)
    finally:
        await redis.aclose()
        await engine.close_pool()
    print(f"{email}: role is now {role}" if found else f"{email}: no such account", file=sys.stderr)
    return 0 if found else 1


async def _copy_objects() -> int:
    settings = Settings.from_env()
    stores = storage.build_copy_stores(settings)
    if stores is None:
        print("copy-objects: set S3_BUCKET and S3_COPY_BUCKET (files on local disk are not copied)", file=sys.stderr)
        return 2
    await engine.open_pool(settings.db)
    try:
        for store in stores:
            await store.open()
        report = await object_copy.copy_and_verify(*stores)
    finally:
        for store in stores:
            await store.close()
        await engine.close_pool()
    print(msgspec.json.encode(report).decode())
    return 0 if report.ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.entrypoints.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    set_role = commands.add_parser("set-role", help="give an existing account the role user or admin")
    set_role.add_argument("email")
    set_role.add_argument("role", choices=["user", "admin"])
    commands.add_parser("copy-objects", help="copy stored files to S3_COPY_BUCKET and verify they decrypt there")
    args = parser.parse_args(argv)
    if args.command == "copy-objects":
        return asyncio.run(_copy_objects())
    return asyncio.run(_set_role(args.email, args.role))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
