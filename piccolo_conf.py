"""Piccolo CLI configuration (`make migrate`): the app's engine, pointed at DATABASE_URL.

Only the `piccolo` command imports this; the api and worker configure the engine from settings.
Migrations need the database and nothing else, so only its variables are read (and checked).
"""

from piccolo.conf.apps import AppRegistry

from backend.platform.db.engine import DB
from backend.settings import SettingsError, database_from_env

try:
    DB.config = {"dsn": database_from_env().url}
except SettingsError as exc:
    raise SystemExit(f"piccolo_conf: {exc}") from None

APP_REGISTRY = AppRegistry(apps=["backend.platform.db.piccolo_app"])
