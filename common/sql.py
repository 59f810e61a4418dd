"""Helpers for the few queries written in plain SQL: those asked per batch or per round
on the hot paths, where the ORM's query building cost more CPU than the query
(bench/orm_cost.py)."""

from __future__ import annotations

from collections.abc import Sized


def placeholders(values: Sized) -> str:
    """`%s, %s, ...`, one per value, for an `IN (...)` that works on SQLite and PostgreSQL."""
    return ", ".join(["%s"] * len(values))
