"""The real PostgreSQL server of the tests that need one (.ci/run starts it with
deploy/ci_postgres.sh and exports the DAGSTER_PG_* variables): skip cleanly without it."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_VARS = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD",
           "DAGSTER_PG_DB")


def require_postgres():
    """The psycopg2 module, or skip the calling test module when no server is configured."""
    missing = [name for name in PG_VARS if not os.environ.get(name)]
    if missing:
        pytest.skip(f"no PostgreSQL server configured ({', '.join(missing)} unset; .ci/run "
                    "starts one with deploy/ci_postgres.sh)", allow_module_level=True)
    return pytest.importorskip("psycopg2")


def connect(db_name: str):
    import psycopg2

    return psycopg2.connect(host=os.environ["DAGSTER_PG_HOST"],
                            port=int(os.environ["DAGSTER_PG_PORT"]),
                            user=os.environ["DAGSTER_PG_USERNAME"],
                            password=os.environ["DAGSTER_PG_PASSWORD"], dbname=db_name,
                            connect_timeout=10)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str | None]:
    """A database of the test's own, dropped after it; None when the role may not create one."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = connect(os.environ["DAGSTER_PG_DB"])
    admin.autocommit = True
    try:
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        except psycopg2.errors.InsufficientPrivilege:
            yield None
            return
        try:
            yield name
        finally:
            _drop_database(admin, name)
    finally:
        admin.close()


def _drop_database(admin, name: str) -> None:
    """Drop the test's database, ending the sessions a test left open. FORCE may not end an
    autovacuum worker that happens to be in it (the role lacks pg_signal_backend); a plain drop
    stops such a worker itself, so it is the fallback, retried while the sessions close."""
    import psycopg2

    with admin.cursor() as cursor:
        try:
            cursor.execute(f'drop database if exists "{name}" with (force)')
            return
        except psycopg2.errors.InsufficientPrivilege:
            pass
        for attempt in range(20):
            try:
                cursor.execute(f'drop database if exists "{name}"')
                return
            except psycopg2.errors.ObjectInUse:
                if attempt == 19:
                    raise
                time.sleep(0.5)
