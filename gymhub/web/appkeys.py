"""Typed application state: one AppKey per resource, opened and closed by its cleanup context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from gymhub.auth.keys import Keys
from gymhub.auth.passwords import Hashing
from gymhub.auth.ratelimit import LoginLimiter
from gymhub.config import Config
from gymhub.data.db import Database

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from gymhub.realtime.hub import Hub
    from gymhub.storage.store import Storage

config_key = web.AppKey("config", Config)
db_key = web.AppKey("db", Database)
keys_key = web.AppKey("keys", Keys)
limiter_key = web.AppKey("limiter", LoginLimiter)
hashing_key = web.AppKey("hashing", Hashing)
hub_key: web.AppKey[Hub] = web.AppKey("hub")
storage_key: web.AppKey[Storage] = web.AppKey("storage")
pool_key: web.AppKey[ProcessPoolExecutor] = web.AppKey("pool")
