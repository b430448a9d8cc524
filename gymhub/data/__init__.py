"""The database layer: schema, migrations, the Database wrapper and queries by table group."""

from gymhub.data.db import Database, Row, utcnow

__all__ = ["Database", "Row", "utcnow"]
