"""Piccolo CLI configuration (`make migrate`): the app's engine, pointed at DATABASE_URL.

Only the `piccolo` command imports this; the api and worker configure the engine from settings.
"""

from piccolo.conf.apps import AppRegistry

from backend.db.engine import DB
from backend.settings import Settings

DB.config = {"dsn": Settings.from_env().db.url}

APP_REGISTRY = AppRegistry(apps=["backend.db.piccolo_app"])
