"""Config: defaults < TOML < GYMHUB_* < flags, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gymhub.config import Config, ConfigError, describe, load_config


def test_defaults_match_the_design() -> None:
    config = load_config(environ={})
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 8080, Path("gymhub-data"))
    assert config.limit_for("meal_photos") == 10_000_000
    assert config.limit_for("profile_photos") == 5_000_000
    assert config.limit_for("documents") == 25_000_000
    assert config.max_pixels == 50_000_000 and config.token_ttl == 43200
    assert config.notification_retention_days == 30 and config.notification_max_per_user == 1000
    assert config.secure_cookies is False
    assert all(help_text for _, _, help_text in describe())


def test_layers_override_in_order(tmp_path: Path) -> None:
    toml = tmp_path / "gymhub.toml"
    toml.write_text(
        'port = 9000\nhost = "0.0.0.0"\nallowed_origins = ["https://a.example"]\n'
        'public_origin = "https://gym.example"\n'
    )
    env = {"GYMHUB_PORT": "9100", "GYMHUB_COOKIE_SECURE": "false"}
    config = load_config(toml, environ=env, overrides={"port": 9200, "host": None})
    assert config.port == 9200 and config.host == "0.0.0.0"
    assert config.origins == {"https://a.example", "https://gym.example"}
    assert config.secure_cookies is False
    assert load_config(toml, environ=env).port == 9100
    assert load_config(toml, environ={}).secure_cookies is True
    assert load_config(environ={"GYMHUB_CONFIG": str(toml)}).port == 9000


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"GYMHUB_PORT": "http"}, "port"),
        ({"GYMHUB_PORT": "70000"}, "port"),
        ({"GYMHUB_MAX_PIXELS": "-1"}, "max_pixels"),
        ({"GYMHUB_LOG_FORMAT": "xml"}, "log_format"),
        ({"GYMHUB_COOKIE_SECURE": "maybe"}, "cookie_secure"),
        ({"GYMHUB_ALLOWED_ORIGINS": "evil.example"}, "allowed_origins"),
        ({"GYMHUB_HASH_WORKERS": "0"}, "hash_workers"),
        ({"GYMHUB_ARGON2_TIME_COST": "0"}, "argon2_time_cost"),
        ({"GYMHUB_ARGON2_PARALLELISM": "0"}, "argon2_parallelism"),
        # argon2 itself refuses less than 8 KiB per lane: said at start-up, not at first login.
        ({"GYMHUB_ARGON2_MEMORY_KIB": "16", "GYMHUB_ARGON2_PARALLELISM": "4"}, "argon2_memory_kib"),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(environ=env)


def test_bad_toml_names_the_problem(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(toml, environ={})
    toml.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="colour"):
        load_config(toml, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml", environ={})


def test_config_is_frozen_and_hides_the_admin_password() -> None:
    config = Config(admin_password="s3cret-admin")
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]
    assert "s3cret-admin" not in repr(config)
