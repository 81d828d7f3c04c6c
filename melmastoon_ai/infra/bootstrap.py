"""Idempotent database bootstrap, run as the PostgreSQL superuser.

Three roles, least privilege first:

* the superuser (only here): creates the `vector` extension (not a trusted extension) in
  `template1`, the two roles below and the database;
* the owner role: owns the database and every table, runs migrations; NOSUPERUSER and
  NOBYPASSRLS, and FORCE ROW LEVEL SECURITY binds it too;
* the application role: what the service and the tests connect as at run time; it holds only
  DML grants, so it can neither switch row-level security off nor alter a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

OWNER_ROLE = "melmastoon_owner"
APP_ROLE = "melmastoon_app"
DATABASE = "melmastoon"


@dataclass(frozen=True)
class BootstrapResult:
    app_url: str
    owner_url: str


def _with_user_and_db(superuser_url: str, user: str, password: str | None, database: str) -> str:
    parts = urlsplit(superuser_url)
    host = parts.hostname or ""
    netloc = quote(user)
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, "/" + database, parts.query, ""))


def _as_superuser_on(superuser_url: str, database: str) -> str:
    """The superuser's own URL (its name and password: a real server asks for them) on another database."""
    parts = urlsplit(superuser_url)
    return _with_user_and_db(
        superuser_url,
        unquote(parts.username or "postgres"),
        unquote(parts.password) if parts.password else None,
        database,
    )


def _ensure_role(cur: psycopg.Cursor, role: str, password: str | None) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    verb = "ALTER" if cur.fetchone() else "CREATE"
    statement = sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB").format(
        sql.SQL(verb), sql.Identifier(role)
    )
    if password:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    cur.execute(statement)


def bootstrap(
    superuser_url: str,
    *,
    database: str = DATABASE,
    owner_role: str = OWNER_ROLE,
    app_role: str = APP_ROLE,
    owner_password: str | None = None,
    app_password: str | None = None,
    grant_truncate: bool = False,
) -> BootstrapResult:
    """Create extension, roles and database if missing; safe to run on every start.

    `grant_truncate` is for the test database only: Django's transactional test cases empty
    tables with TRUNCATE between tests. The service never gets it.
    """
    template_url = _as_superuser_on(superuser_url, "template1")
    with psycopg.connect(superuser_url, autocommit=True) as conn, conn.cursor() as cur:
        _ensure_role(cur, owner_role, owner_password)
        _ensure_role(cur, app_role, app_password)
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            with psycopg.connect(template_url, autocommit=True) as tconn:
                tconn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                    sql.Identifier(database), sql.Identifier(owner_role)
                )
            )
    db_url = _as_superuser_on(superuser_url, database)
    with psycopg.connect(db_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        ident = {"owner": sql.Identifier(owner_role), "app": sql.Identifier(app_role)}
        statements = [
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
            "GRANT CONNECT ON DATABASE {db} TO {app}",
            "GRANT USAGE ON SCHEMA public TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app}",
        ]
        if grant_truncate:
            statements += [
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT TRUNCATE ON TABLES TO {app}",
                "GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app}",
            ]
        for statement in statements:
            cur.execute(sql.SQL(statement).format(db=sql.Identifier(database), **ident))
    return BootstrapResult(
        app_url=_with_user_and_db(superuser_url, app_role, app_password, database),
        owner_url=_with_user_and_db(superuser_url, owner_role, owner_password, database),
    )
