"""Helpers for the few queries written in plain SQL: those asked per batch or per round
on the hot paths, where the ORM's query building cost more CPU than the query
(bench/orm_cost.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sized
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)


def placeholders(values: Sized) -> str:
    """`%s, %s, ...`, one per value, for an `IN (...)` that works on SQLite and PostgreSQL."""
    return ", ".join(["%s"] * len(values))


def json_rows(rows: Iterable[dict[str, Any]]) -> str:
    """Many rows as one parameter, for `json_to_recordset(%s::json) AS v (column type, ...)`
    on PostgreSQL. An array per column costs psycopg a Python call per element to quote;
    one JSON text is encoded in C: a third less of the client's CPU for 30 rows, and the
    same of PostgreSQL's for reading them (bench/orm_cost.py). But PostgreSQL plans
    json_to_recordset() for 100 rows, whatever it holds: measure the statement that
    uses it (the check-in batch's ran twice as long, and stays on arrays). A value
    PostgreSQL refuses (a NaN, a NUL) fails the statement with a DataError, as an
    array's would."""
    return json.dumps(list(rows), separators=(",", ":"))


def columns(model: type[Model], alias: str, using: str = "default") -> str:
    """The model's columns, qualified by `alias`, in the order `instances` reads them."""
    qn = connections[using].ops.quote_name
    return ", ".join(f"{alias}.{qn(str(field.column))}" for field in model._meta.concrete_fields)


def instances(model: type[M], rows: Iterable[tuple[Any, ...]], using: str = "default") -> list[M]:
    """Model instances from rows that begin with `columns(model)`, as the ORM would build
    them (its converters applied: SQLite's datetimes made aware, its booleans bools), for
    a few µs each instead of a raw queryset's tens. Columns past the model's are dropped."""
    names, converters = _reading(model, using)
    width = len(names)
    rows = [row[:width] for row in rows]
    if converters:
        compiler = model._default_manager.db_manager(using).none().query.get_compiler(using)
        rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
    return [model.from_db(using, names, row) for row in rows]


@cache
def _reading(model: type[Model], using: str) -> tuple[list[str], dict[int, Any]]:
    fields = model._meta.concrete_fields
    compiler = model._default_manager.db_manager(using).none().query.get_compiler(using)
    converters = compiler.get_converters([field.get_col(model._meta.db_table) for field in fields])
    return [field.attname for field in fields], converters
