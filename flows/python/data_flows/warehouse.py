"""A DB-API 2.0 connection chosen by a URL, so the same flow loads SQLite locally and a server database in AWS."""

import importlib
import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import ConfigurationError

#: Placeholders by DB-API `paramstyle` (PEP 249): what `Database.placeholder` writes for one value.
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":1"}
#: Server drivers by URL scheme, tried in order; the image installs them (none is in the standard library).
_DRIVERS = {"postgresql": ("psycopg", "psycopg2"), "postgres": ("psycopg", "psycopg2")}


@dataclass
class Database:
    """An open DB-API connection and how its driver writes a parameter."""

    connection: Any
    dialect: str
    placeholder: str

    def placeholders(self, count: int) -> str:
        return ", ".join([self.placeholder] * count)

    def close(self) -> None:
        self.connection.close()


def _sqlite(url: str, read_only: bool) -> Database:
    # sqlite:///abs/path.db, sqlite:relative/path.db, sqlite::memory:
    path = unquote(url[len("sqlite:") :])
    if path.startswith("//"):
        path = path[2:]
    if not path:
        raise ConfigurationError(f'"{url}" names no SQLite file: write sqlite:///absolute/path.db')
    if path == ":memory:":
        return Database(sqlite3.connect(":memory:"), "sqlite", "?")
    mode = "ro" if read_only else "rwc"
    try:
        connection = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
    except sqlite3.OperationalError as error:
        raise sqlite3.OperationalError(f"{error}: {path}") from None
    return Database(connection, "sqlite", "?")


def connect(url: str, read_only: bool = False) -> Database:
    """Opens the database a URL names: `sqlite:///path.db` (standard library) or `postgresql://…` (psycopg)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return _sqlite(url, read_only)
    drivers = _DRIVERS.get(scheme)
    if drivers is None:
        known = ", ".join(["sqlite", *_DRIVERS])
        raise ConfigurationError(f'unsupported database URL scheme "{scheme}:"; use one of {known}')
    for name in drivers:
        try:
            driver = importlib.import_module(name)
        except ImportError:
            continue
        connection = driver.connect(url)
        if read_only and name == "psycopg":
            connection.read_only = True
        elif read_only:
            connection.set_session(readonly=True)
        return Database(connection, scheme, _PLACEHOLDERS[driver.paramstyle])
    raise ConfigurationError(f"{scheme} needs one of the drivers {', '.join(drivers)}: add it to Dockerfile.python")
