"""Operator commands (`python -m backend.entrypoints.manage ...`):

- `set-role <email> admin|user` (make set-role);
- `copy-objects`: copy every stored file the database references into S3_COPY_BUCKET and verify each
  decrypts there; exits 1 when one is missing or unreadable (a CronJob in Kubernetes);
- `key-usage`: how many stored blobs and files each master key wraps (counted from indexes);
- `rewrap [--batch N]`: re-wrap every blob and file under a master key other than ENCRYPTION_ACTIVE_KID
  with the active one (resumable, safe while serving; exits 1 unless everything moved); then an old key
  can leave ENCRYPTION_KEYS (docs/security.md, Key rotation);
- `encrypt-pii [--batch N]`: move users' personal details still in plaintext columns (rows of earlier
  releases) into the encrypted `users.pii` (resumable; exits 1 while some are left).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import msgspec

from backend.features.accounts import pii_backfill
from backend.features.admin import service as admin_services
from backend.features.maintenance import object_copy
from backend.platform import redis_client, storage
from backend.platform.crypto import key_usage
from backend.platform.crypto.envelope import Envelope
from backend.platform.db import engine
from backend.settings import Settings


async def _set_role(email: str, role: str) -> int:
    settings = Settings.from_env()
    redis_client.configure(settings.redis)
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
    redis_client.configure(settings.redis)
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


def _progress(label: str, done: int, total: int) -> None:
    print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)


async def _key_usage() -> int:
    settings = Settings.from_env()
    redis_client.configure(settings.redis)
    await engine.open_pool(settings.db)
    try:
        found = await key_usage.usage()
    finally:
        await engine.close_pool()
    configured = set(settings.encryption.keys)
    report = {
        "active_kid": settings.encryption.active_kid,
        "usage": {where: {str(kid): n for kid, n in kids.items()} for where, kids in found.items()},
        "missing": sorted({str(k) for kids in found.values() for k in kids if k is not None and k not in configured}),
    }
    print(msgspec.json.encode(report).decode())
    return 1 if report["missing"] else 0


async def _rewrap(batch: int) -> int:
    settings = Settings.from_env()
    redis_client.configure(settings.redis)
    envelope = Envelope.from_settings(settings.encryption)
    store = storage.build_store(settings)
    assert isinstance(store, storage.EncryptedStore)
    await engine.open_pool(settings.db)
    await store.open()
    try:
        report = await key_usage.rewrap(envelope, store, batch=batch, progress=_progress)
        left = await key_usage.usage()
    finally:
        await store.close()
        await engine.close_pool()
    others = {
        where: {str(kid): n for kid, n in kids.items() if kid != envelope.active_kid}
        for where, kids in left.items()
        if any(kid != envelope.active_kid for kid in kids)
    }
    summary = {"rewrapped": report.rewrapped, "skipped": report.skipped, "failed": report.failed, "left": others}
    print(msgspec.json.encode(summary).decode())
    return 0 if report.ok and not others else 1


async def _encrypt_pii(batch: int) -> int:
    settings = Settings.from_env()
    redis_client.configure(settings.redis)
    await engine.open_pool(settings.db)
    try:
        report = await pii_backfill.encrypt_pii(
            Envelope.from_settings(settings.encryption),
            batch=batch,
            progress=lambda done, total: _progress("users", done, total),
        )
    finally:
        await engine.close_pool()
    print(msgspec.json.encode(report).decode())
    return 0 if report.remaining == 0 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.entrypoints.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    set_role = commands.add_parser("set-role", help="give an existing account the role user or admin")
    set_role.add_argument("email")
    set_role.add_argument("role", choices=["user", "admin"])
    commands.add_parser("copy-objects", help="copy stored files to S3_COPY_BUCKET and verify they decrypt there")
    commands.add_parser("key-usage", help="stored blobs and files per master key id")
    rewrap = commands.add_parser("rewrap", help="re-wrap everything under old master keys with the active one")
    rewrap.add_argument("--batch", type=int, default=200)
    backfill = commands.add_parser("encrypt-pii", help="encrypt users' personal details still in plaintext")
    backfill.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    if args.command == "copy-objects":
        return asyncio.run(_copy_objects())
    if args.command == "key-usage":
        return asyncio.run(_key_usage())
    if args.command == "rewrap":
        return asyncio.run(_rewrap(args.batch))
    if args.command == "encrypt-pii":
        return asyncio.run(_encrypt_pii(args.batch))
    return asyncio.run(_set_role(args.email, args.role))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
