"""What one query costs the Python process that asks it, by how it is asked: the ORM
building a model instance, the ORM returning plain values, a raw Django cursor and
psycopg alone. CPU time of this process (the database's own work is not in it).

Then many rows as parameters, as the check-in batch and the verdicts pass them: 30 rows
of six columns as an array per column (`unnest`) or as one JSON text
(`json_to_recordset`), with the CPU of this process and of its PostgreSQL backend (read
from /proc, so PostgreSQL must run on this machine).

On a slow CPU the ORM's query building, not the database, is most of a small query's
cost: the per-batch costs of the check-in path are mostly this.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/goodmob_bench .venv/bin/python bench/orm_cost.py
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import cpu_per_call, cpu_seconds, report  # noqa: E402
from bench.stack import DEFAULT_DB, ensure_database  # noqa: E402


def cpu_us(fn: Callable[[], object], repeat: int) -> float:
    return round(cpu_per_call(fn, repeat) * 1e6, 1)


def rows_as_parameters(result: dict[str, object], repeat: int, size: int = 30) -> None:
    from django.db import connection

    from common import sql

    rows = [(n, 1000 + n, f"key-{n:08}", 50.06 + n * 1e-6, 19.93 + n * 1e-6, 10.0) for n in range(size)]
    names = ("n", "user_id", "k", "lat", "lon", "a")
    columns = "n int, user_id bigint, k text, lat float8, lon float8, a float8"

    def arrays() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM unnest(%s::int[], %s::bigint[], %s::text[], %s::float8[], %s::float8[],"
                " %s::float8[]) AS w (n, user_id, k, lat, lon, a)",
                [list(column) for column in zip(*rows, strict=True)],
            )
            cursor.fetchall()

    def one_json() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM json_to_recordset(%s::json) AS w ({columns})",
                [sql.json_rows(dict(zip(names, row, strict=True)) for row in rows)],
            )
            cursor.fetchall()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    for name, fn in (("arrays", arrays), ("json", one_json)):
        server = cpu_seconds([backend])
        result[f"rows{size}_{name}_us"] = cpu_us(fn, repeat)
        result[f"rows{size}_{name}_postgresql_us"] = round((cpu_seconds([backend]) - server) / (repeat + 1) * 1e6, 1)


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(url)
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "goodmob.settings"})
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from actions.models import Action
    from bench.seed import seed_action

    call_command("migrate", verbosity=0)
    action = seed_action()
    table = Action._meta.db_table

    def raw_cursor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, slug FROM {table} WHERE id = %s", [action.pk])
            cursor.fetchall()

    def psycopg_alone() -> None:
        connection.ensure_connection()
        connection.connection.execute(f"SELECT id, slug FROM {table} WHERE id = %s", [action.pk]).fetchall()

    result: dict[str, object] = {"bench": "orm_cost", "repeat": 500}
    result["orm_instance_us"] = cpu_us(lambda: Action.objects.filter(pk=action.pk).first(), 500)
    result["orm_values_us"] = cpu_us(lambda: list(Action.objects.filter(pk=action.pk).values_list("pk", "slug")), 500)
    result["raw_cursor_us"] = cpu_us(raw_cursor, 500)
    result["psycopg_us"] = cpu_us(psycopg_alone, 500)
    rows_as_parameters(result, 500)
    report(result, [(key, key.replace("_", " ")) for key in result if key != "bench"])


if __name__ == "__main__":
    main()
