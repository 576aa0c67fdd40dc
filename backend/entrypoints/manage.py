"""Operator commands: `python -m backend.entrypoints.manage set-role <email> admin|user` (make set-role)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from backend.features.admin import service as admin_services
from backend.platform import redis_client
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.entrypoints.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    set_role = commands.add_parser("set-role", help="give an existing account the role user or admin")
    set_role.add_argument("email")
    set_role.add_argument("role", choices=["user", "admin"])
    args = parser.parse_args(argv)
    return asyncio.run(_set_role(args.email, args.role))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
