"""The single Piccolo app: every table of the project, migrations in the top-level `migrations/`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.platform.db.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="career_copilot",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
