"""The `gymhub` command: serve, user add/list/disable/enable/passwd/reset-code,
assign/unassign, and maintenance."""

from __future__ import annotations

import argparse
import getpass
import os
import select
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias, get_args

import msgspec

from gymhub import __version__, logs
from gymhub.auth import passwords
from gymhub.config import Config, ConfigError, load_config
from gymhub.data import users
from gymhub.data.db import connect_sync, migrate, run_write
from gymhub.errors import InvalidRequest
from gymhub.schemas.common import decode
from gymhub.schemas.users import Role, UserCreate
from gymhub.services.privacy import unassign_in

Command = Callable[[argparse.Namespace, Config], int]
COMMANDS: dict[str, Command] = {}
ROLES: tuple[str, ...] = get_args(Role)


class CliError(Exception):
    """A clear message for the user and exit status 1."""


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


# argparse names the type of add_subparsers() only privately.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (default ./gymhub-data)")
    parser.add_argument("--config", type=Path, help="TOML configuration file")


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every subcommand."""
    parser = argparse.ArgumentParser(prog="gymhub", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gymhub {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_serve(sub)
    _add_user(sub)
    _add_maintenance(sub)
    return parser


def _add_serve(sub: Subcommands) -> None:
    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--log-format", choices=["text", "json"], help="log format")
    serve.add_argument("--workers", type=int, help="image worker processes")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="fill an empty data dir with demo users and data, print the logins",
    )


def _add_user(sub: Subcommands) -> None:
    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="create an account")
    _common(add)
    add.add_argument("username")
    # Checked by the command rather than by argparse's choices, so that a wrong role exits 1
    # with the other input errors (README), not 2 like a bad configuration value.
    add.add_argument("--role", required=True, metavar="|".join(ROLES), help="the account's role")
    add.add_argument("--display-name", help="name shown to others (default: the username)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of a prompt",
    )
    listing = user_sub.add_parser("list", help="list accounts")
    _common(listing)
    disable = user_sub.add_parser("disable", help="disable an account and revoke its tokens")
    _common(disable)
    disable.add_argument("username")
    enable = user_sub.add_parser("enable", help="enable a disabled account")
    _common(enable)
    enable.add_argument("username")
    passwd = user_sub.add_parser("passwd", help="set an account's password, revoking its tokens")
    _common(passwd)
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of a prompt",
    )
    code = user_sub.add_parser(
        "reset-code", help="print a single-use password reset code, valid 24 hours"
    )
    _common(code)
    code.add_argument("username")
    erase = user_sub.add_parser("erase", help="erase an account and everything that is theirs")
    _common(erase)
    erase.add_argument("username")


def _add_maintenance(sub: Subcommands) -> None:
    for name, text in (
        ("assign", "assign a trainer to a client"),
        ("unassign", "end a trainer's assignment to a client"),
    ):
        p = sub.add_parser(name, help=text)
        _common(p)
        p.add_argument("trainer")
        p.add_argument("client")

    export = sub.add_parser("export", help="write a user's export (zip) to a file")
    _common(export)
    export.add_argument("username")
    export.add_argument("dest", type=Path, help="the zip file to write")

    for name, text in (
        ("cleanup", "quarantine media files without a row, remove stale temp files"),
        ("stats", "print storage statistics"),
        ("check", "verify the data directory"),
        ("backup", "back up the database and media"),
        ("restore", "restore a backup into an empty data directory"),
    ):
        p = sub.add_parser(name, help=text)
        _common(p)
        if name == "cleanup":
            p.add_argument("--dry-run", action="store_true", help="report, remove nothing")
            p.add_argument(
                "--force",
                action="store_true",
                help="move files without a row even when they exceed sweep_max_share",
            )
        if name in ("backup", "restore"):
            p.add_argument("path", type=Path, help="backup directory")
        if name == "stats":
            p.add_argument("--json", action="store_true", help="print JSON for scripts")


def config_from(args: argparse.Namespace) -> Config:
    """The Config for a command: flags over GYMHUB_* over the config file over defaults."""
    overrides: dict[str, Any] = {"data_dir": getattr(args, "data_dir", None)}
    for name in ("host", "port", "log_format", "workers"):
        overrides[name] = getattr(args, name, None)
    return load_config(getattr(args, "config", None), overrides=overrides)


def open_db(config: Config) -> sqlite3.Connection:
    """The data dir's database for a short CLI job (safe while the server runs)."""
    if not config.data_dir.is_dir():
        raise CliError(
            f"no data directory at {config.data_dir} (start `gymhub serve` first, "
            "or pass --data-dir)"
        )
    conn = connect_sync(config.db_path)
    migrate(conn)
    return conn


def _find(conn: sqlite3.Connection, username: str) -> users.User:
    login = users.get_login(conn, username)
    if login is None:
        raise CliError(f"no user named {username!r}")
    return login.user


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise CliError("no terminal to prompt for a password: use --password-stdin")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CliError("the passwords do not match")
    if len(password) < 8:
        raise CliError("the password must have at least 8 characters")
    return password


@command("serve")
def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from gymhub import server

    logs.set_console_format(config.log_format)
    if args.demo:
        from gymhub import demo

        demo.prepare(config)
    server.run(config)
    return 0


@command("user add")
def cmd_user_add(args: argparse.Namespace, config: Config) -> int:
    if args.role not in ROLES:
        raise CliError(f"the role must be one of {', '.join(ROLES)}, not {args.role!r}")
    password = _read_password(args)
    payload = {"username": args.username, "password": password, "role": args.role}
    if args.display_name:
        payload["display_name"] = args.display_name
    try:
        decode(msgspec.json.encode(payload), UserCreate)
    except InvalidRequest as exc:
        raise CliError(exc.message) from None
    config.data_dir.mkdir(parents=True, exist_ok=True)
    conn = connect_sync(config.db_path)
    migrate(conn)
    hashed = passwords.hash_sync(config, password)
    try:
        row = run_write(
            conn,
            lambda c: users.insert_user(c, args.username, args.role, hashed, args.display_name),
        )
    except users.DuplicateUsername:
        raise CliError(f"the username {args.username!r} is taken") from None
    print(f"created {row.role} {row.username!r} (id {row.id})")
    return 0


@command("user list")
def cmd_user_list(args: argparse.Namespace, config: Config) -> int:
    conn = open_db(config)
    rows = users.list_all(conn)
    print(f"{'id':>5}  {'username':<24} {'role':<8} {'status':<9} {'related':<30} display name")
    for row in rows:
        if row.role == "trainer":
            peers = [r.username for r in users.clients_of(conn, row.id)]
        elif row.role == "client":
            peers = [r.username for r in users.trainers_of(conn, row.id)]
        else:
            peers = []
        status = "disabled" if row.disabled else "active"
        print(
            f"{row.id:>5}  {row.username:<24} {row.role:<8} {status:<9} "
            f"{','.join(peers) or '-':<30} {row.display_name}"
        )
    return 0


def _set_disabled(config: Config, username: str, disabled: bool) -> int:
    conn = open_db(config)
    row = _find(conn, username)

    def apply(c: sqlite3.Connection) -> None:
        # Checked inside the write, like the API's PATCH, so two racing disables cannot both pass.
        current = users.get_user(c, row.id)
        if disabled and current is not None and users.is_last_active_admin(c, current):
            raise CliError(
                f"{row.username!r} is the last active admin; enable or add another admin first"
            )
        users.update_user(c, row.id, {"disabled": disabled})

    run_write(conn, apply)
    print(f"{'disabled' if disabled else 'enabled'} {row.username!r}")
    return 0


@command("user disable")
def cmd_user_disable(args: argparse.Namespace, config: Config) -> int:
    return _set_disabled(config, args.username, True)


@command("user enable")
def cmd_user_enable(args: argparse.Namespace, config: Config) -> int:
    return _set_disabled(config, args.username, False)


@command("user passwd")
def cmd_user_passwd(args: argparse.Namespace, config: Config) -> int:
    conn = open_db(config)
    row = _find(conn, args.username)
    password = _read_password(args)
    hashed = passwords.hash_sync(config, password)
    # set_password bumps the token version: the running server refuses the old tokens and
    # sessions at once and closes the user's sockets on its next revocation sweep.
    run_write(conn, lambda c: users.set_password(c, row.id, hashed))
    print(f"changed the password of {row.username!r}; its tokens and sessions are revoked")
    return 0


@command("user reset-code")
def cmd_user_reset_code(args: argparse.Namespace, config: Config) -> int:
    from gymhub.auth.resetcodes import CODE_TTL
    from gymhub.services.account import store_reset_code

    conn = open_db(config)
    row = _find(conn, args.username)
    code = run_write(conn, lambda c: store_reset_code(c, row.id))
    hours = CODE_TTL // 3600
    print(code)
    print(
        f"single-use reset code for {row.username!r}, valid {hours} hours "
        "(POST /api/auth/reset); it replaces any earlier code",
        file=sys.stderr,
    )
    return 0


def _pair(conn: sqlite3.Connection, args: argparse.Namespace) -> tuple[users.User, users.User]:
    trainer, client = _find(conn, args.trainer), _find(conn, args.client)
    if trainer.role != "trainer":
        raise CliError(f"{trainer.username!r} is a {trainer.role}, not a trainer")
    if client.role != "client":
        raise CliError(f"{client.username!r} is a {client.role}, not a client")
    return trainer, client


@command("assign")
def cmd_assign(args: argparse.Namespace, config: Config) -> int:
    conn = open_db(config)
    trainer, client = _pair(conn, args)
    new = run_write(conn, lambda c: users.assign(c, trainer.id, client.id))
    state = "assigned" if new else "already assigned:"
    print(f"{state} {trainer.username!r} → {client.username!r}")
    return 0


@command("unassign")
def cmd_unassign(args: argparse.Namespace, config: Config) -> int:
    conn = open_db(config)
    trainer, client = _pair(conn, args)
    gone = run_write(conn, lambda c: unassign_in(c, trainer.id, client.id))
    # Idempotent like the API's DELETE (204 either way): the wanted state holds, so exit 0.
    state = "unassigned" if gone else "nothing to unassign:"
    print(f"{state} {trainer.username!r} from {client.username!r}")
    return 0


@command("user erase")
def cmd_user_erase(args: argparse.Namespace, config: Config) -> int:
    from gymhub.services.accounts import erase_local
    from gymhub.storage.layout import Layout

    conn = open_db(config)
    row = _find(conn, args.username)

    def allowed(c: sqlite3.Connection) -> users.User:
        current = users.get_user(c, row.id)
        if current is None:
            raise CliError(f"no user named {args.username!r}")
        if users.is_last_active_admin(c, current):
            raise CliError(f"{row.username!r} is the last active admin; add another admin first")
        return current

    count = erase_local(conn, Layout(config.media_dir), row.id, allowed)
    # A running server refuses its tokens at once and closes its sockets at its next
    # revocation check (4401).
    print(f"erased {row.username!r} and {count} files")
    return 0


@command("export")
def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from gymhub.data.export import snapshot
    from gymhub.services.export import export_to_file
    from gymhub.storage.layout import Layout

    conn = open_db(config)
    row = _find(conn, args.username)
    export_to_file(snapshot(conn, row.id), Layout(config.media_dir), args.dest)
    print(f"wrote the export of {row.username!r} to {args.dest}")
    return 0


@command("cleanup")
def cmd_cleanup(args: argparse.Namespace, config: Config) -> int:
    from gymhub.storage.maintenance import cleanup_command

    return cleanup_command(config, dry_run=args.dry_run, force=args.force)


@command("stats")
def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    from gymhub.storage.maintenance import stats_command

    return stats_command(config, as_json=args.json)


@command("backup")
def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    from gymhub.ops.backup import backup_command

    return backup_command(config, args.path)


@command("restore")
def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    from gymhub.ops.backup import restore_command

    return restore_command(config, args.path)


@command("check")
def cmd_check(args: argparse.Namespace, config: Config) -> int:
    from gymhub.ops.check import check_command

    return check_command(config)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gymhub` console script."""
    # Everything gymhub creates (data dir, database and WAL, media, backups) is its user's
    # alone, whatever umask the shell or service manager handed down.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    name = args.command
    if name == "user":
        name = f"user {args.user_command}"
    if name == "serve":
        # So that a configuration error is already in the format asked for (a bad value in the
        # TOML file cannot say which; the flag and the variable can).
        logs.set_console_format(args.log_format or os.environ.get("GYMHUB_LOG_FORMAT", ""))
    try:
        config = config_from(args)
        fn = COMMANDS.get(name)
        if fn is None:
            raise CliError(f"`gymhub {name}` is not available in this version")
        status = fn(args, config)
        # Flushed here so that a closed pipe surfaces below, not in the interpreter's exit.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        if not _stdout_gone():
            raise  # a pipe of the command's own, not our output: a real failure
        # The reader (`| head`) left: say nothing. Python's recipe: point stdout at devnull so
        # the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 1
    except ConfigError as exc:
        logs.console(f"configuration error: {exc}", level="ERROR", stream=sys.stderr)
        return 2
    except CliError as exc:
        logs.console(str(exc), level="ERROR", stream=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        logs.console(f"database error: {exc}", level="ERROR", stream=sys.stderr)
        return 1


def _stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (the write end reports an error)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False
