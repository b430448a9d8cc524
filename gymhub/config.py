"""The one frozen Config: defaults < TOML file < GYMHUB_* environment < command-line flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

MB = 1_000_000


class ConfigError(ValueError):
    """A setting has a bad value; the message names the key."""


def _setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, repr=not secret, metadata={"help": help})


@dataclass(frozen=True)
class Config:
    """Every setting of gymhub, each with a default and a line of help."""

    host: str = _setting("127.0.0.1", "address to listen on")
    port: int = _setting(8080, "TCP port to listen on")
    data_dir: Path = _setting(Path("gymhub-data"), "directory holding the database, media and key")
    public_origin: str = _setting("", "the origin users reach, e.g. https://gym.example.org")
    allowed_origins: tuple[str, ...] = _setting(
        (), "extra origins allowed for cookies and WebSockets"
    )
    cookie_secure: bool | None = _setting(None, "mark the session cookie Secure (default: https)")
    token_ttl: int = _setting(12 * 3600, "lifetime of access tokens and sessions, seconds")
    limit_meal_photos: int = _setting(10 * MB, "size limit of a meal photo, bytes")
    limit_progress_photos: int = _setting(10 * MB, "size limit of a progress photo, bytes")
    limit_profile_photos: int = _setting(5 * MB, "size limit of a profile photo, bytes")
    limit_documents: int = _setting(25 * MB, "size limit of a document, bytes")
    max_pixels: int = _setting(50_000_000, "largest image accepted, in pixels")
    quota_bytes: int = _setting(2_000 * MB, "storage per owner, originals and variants")
    workers: int = _setting(0, "image worker processes (0: one per spare core, at least one)")
    worker_nice: int = _setting(19, "niceness of image workers, so requests stay prompt")
    worker_idle: bool = _setting(
        True, "on Linux, image workers run in the idle scheduling class: requests preempt them"
    )
    warm_pool: bool = _setting(
        True, "start the image workers at start-up, each running one made-up 4 MP photo through"
    )
    orphan_max_age: int = _setting(3600, "age in seconds after which a file with no row is swept")
    sweep_interval: int = _setting(3600, "seconds between orphan sweeps")
    notification_retention_days: int = _setting(30, "days notifications are kept")
    notification_max_per_user: int = _setting(1000, "notifications kept per user")
    ws_queue_size: int = _setting(256, "messages queued per WebSocket before it counts as slow")
    ws_heartbeat: float = _setting(30.0, "seconds between WebSocket pings")
    login_max_failures: int = _setting(5, "failed logins per username and address per window")
    login_window: int = _setting(900, "login rate-limit window, seconds")
    media_cache_bytes: int = _setting(32 * MB, "RAM for small immutable variants")
    media_read_bytes: int = _setting(
        0, "RAM for files up to 8 MiB read whole to send; past it (and at 0) they go by sendfile"
    )
    shutdown_timeout: float = _setting(20.0, "seconds running requests get on SIGTERM")
    log_format: str = _setting("text", "access and app log format: text or json")
    log_level: str = _setting("INFO", "logging level")
    log_repeat_seconds: float = _setting(
        10.0, "interval over which repeated identical log records are folded into one summary"
    )
    header_timeout: float = _setting(
        30.0, "seconds for a request's line and headers to arrive before the connection is closed"
    )
    body_idle_timeout: float = _setting(
        60.0, "seconds without a body byte before a request ends (a partial upload is removed)"
    )
    keepalive_timeout: float = _setting(75.0, "seconds an idle keep-alive connection stays open")
    max_connections: int = _setting(
        0, "open connections at most; past it new ones are closed (0: min(16384, nofile - 256))"
    )
    ws_max_per_user: int = _setting(20, "WebSockets one user may hold at once (429 past it)")
    ws_buffer_bytes: int = _setting(
        64 * MB, "bytes buffered for all slow WebSockets together; past it the slowest are closed"
    )
    min_free_bytes: int = _setting(
        -1, "free space a write must leave on the data dir's filesystem (-1: min(1 GB, 5% of it))"
    )
    hash_workers: int = _setting(2, "threads that hash passwords, apart from file I/O")
    hash_queue: int = _setting(32, "password hashes waiting at most; past it logins get 503 busy")
    argon2_time_cost: int = _setting(3, "argon2id passes (tests lower it; keep the default)")
    argon2_memory_kib: int = _setting(65536, "argon2id memory, KiB (tests lower it)")
    argon2_parallelism: int = _setting(4, "argon2id lanes")
    login_max_failures_per_address: int = _setting(
        50, "failed logins per address per window, whatever the username"
    )
    quarantine_days: int = _setting(
        30, "days files without a row are kept in uploads/.quarantine before they are deleted"
    )
    sweep_max_share: float = _setting(
        0.1, "largest share of the store one sweep may move (more needs `gymhub cleanup --force`)"
    )
    stage_timing: bool = _setting(
        False, "answer uploads with a Server-Timing header of their stages (benchmarks only)"
    )
    admin_password: str = _setting(
        "", "password of the first admin account (random and printed once if empty)", secret=True
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "min_free_bytes" and value == -1:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ConfigError(f"{f.name}: must not be negative (got {value})")
        if self.port > 65535:
            raise ConfigError(f"port: must be between 0 and 65535 (got {self.port})")
        for name in ("hash_workers", "argon2_time_cost", "argon2_parallelism"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be at least 1 (got {getattr(self, name)})")
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            # argon2 itself refuses less than 8 KiB per lane.
            raise ConfigError(
                f"argon2_memory_kib: must be at least 8 x argon2_parallelism "
                f"({8 * self.argon2_parallelism}; got {self.argon2_memory_kib})"
            )
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format: must be 'text' or 'json' (got {self.log_format!r})")
        for origin in (self.public_origin, *self.allowed_origins):
            if origin and not origin.startswith(("http://", "https://")):
                raise ConfigError(f"allowed_origins: {origin!r} is not an http(s) origin")

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie carries the Secure flag."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_origin.startswith("https://")

    @property
    def origins(self) -> frozenset[str]:
        """Configured origins allowed besides the request's own host."""
        values = (self.public_origin, *self.allowed_origins)
        return frozenset(v.rstrip("/") for v in values if v)

    def limit_for(self, category: str) -> int:
        """Upload size limit of a category."""
        return int(getattr(self, f"limit_{category}"))

    @property
    def db_path(self) -> Path:
        return self.data_dir / "gymhub.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def key_path(self) -> Path:
        return self.data_dir / "secret.key"


# Words for a switch besides msgspec's own true/false/1/0 (any case); "auto", "none" or nothing
# leave a setting that may be None to its rule.
_SWITCH_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false"}
_SWITCH_WORDS |= dict.fromkeys(("", "auto", "none"), "null")


def _field_types() -> dict[str, tuple[Any, str]]:
    """Each setting's type, resolved, and as written in the class (for messages)."""
    hints = typing.get_type_hints(Config)
    return {f.name: (hints[f.name], str(f.type)) for f in dataclasses.fields(Config)}


def _to_path(kind: type, value: Any) -> Any:
    # msgspec knows no Path; a ValueError here becomes its ValidationError.
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise ValueError(f"not a {kind}")


def _coerce(name: str, kind: Any, label: str, raw: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or say which key is wrong."""
    value = raw
    text = isinstance(raw, str)
    if text:
        # A list in an environment variable is comma-separated, and operators write yes/no for
        # switches; the rest is msgspec's lax mode, which reads numbers and switches from text.
        if kind == tuple[str, ...]:
            value = [p.strip() for p in raw.split(",") if p.strip()]
        elif kind not in (str, Path):
            value = raw.strip()
            if bool in typing.get_args(kind) or kind is bool:
                value = _SWITCH_WORDS.get(value.lower(), value)
    try:
        # TOML's own types stay strict: 1 is not a switch, nor true a number.
        return msgspec.convert(value, kind, strict=not text, dec_hook=_to_path)
    except msgspec.ValidationError:
        raise ConfigError(f"{name}: {raw!r} is not a valid {label}") from None


def load_config(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the Config once: defaults, then the TOML file, then GYMHUB_* variables, then flags."""
    environ = os.environ if environ is None else environ
    known = _field_types()
    values: dict[str, Any] = {}
    if config_file is None and environ.get("GYMHUB_CONFIG"):
        config_file = Path(environ["GYMHUB_CONFIG"])
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"config: cannot read {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {config_file} is not valid TOML: {exc}") from None
        section = data.get("gymhub", data)
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(f"{key}: unknown setting in {config_file}")
            values[key] = _coerce(key, *known[key], raw)
    for key, types in known.items():
        env_name = f"GYMHUB_{key.upper()}"
        if env_name in environ:
            values[key] = _coerce(key, *types, environ[env_name])
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce(key, *known[key], raw) if isinstance(raw, str) else raw
    return Config(**values)


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for the CLI's help and the README."""
    rows = []
    for f in dataclasses.fields(Config):
        rows.append((f.name, repr(f.default), str(f.metadata.get("help", ""))))
    return rows
