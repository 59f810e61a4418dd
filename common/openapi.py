"""What every API operation documents besides its own answer: the refusal body and the
statuses any operation may give."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Self

import annotated_types
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

# At least one character that is not a space, and no NUL anywhere (the body parser,
# common/inputs.py, refuses NUL before any schema is read; the schema says so too).
SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _a_number(value: Any) -> Any:
    # bool is an int to Python and a numeric string is one to lax pydantic; JSON says
    # neither is a number. Strict mode would go too far: it refuses 59.0, which JSON
    # Schema's "integer" accepts (a fuzzer holds us to that).
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


A_NUMBER = BeforeValidator(_a_number)
# A JSON integer as JSON Schema reads it: 59 or 59.0, never 59.5, true or "59". Limits
# go on the field, or for an optional one in `Between`.
WholeNumber = Annotated[int, A_NUMBER]


@dataclass(frozen=True)
class Between(annotated_types.GroupedMetadata):
    """A whole number from `least` to `most`, for an optional field:
    `Annotated[int, Between(1, 99)] | None`. The limits come before the number check:
    after it (or on the field), pydantic 2.14 still enforces them but writes them into
    the schema as "ge"/"le", which JSON Schema does not know."""

    least: int
    most: int

    def __iter__(self) -> Iterator[object]:
        yield annotated_types.Ge(self.least)
        yield annotated_types.Le(self.most)
        yield A_NUMBER


class Problem(Schema):
    error: str
    detail: str


# What any operation may answer besides its own refusals: unreadable input (400), too
# many requests (429, with Retry-After), the database not answering (503), and for a
# body: not JSON (415) or not valid (422); for signed-in callers 401 and 403 (CSRF).
ANY_REFUSAL = (400, 401, 403, 415, 422, 429, 503)


def refusals(*statuses: int) -> dict[int, type[Problem]]:
    return {status: Problem for status in sorted({*statuses, *ANY_REFUSAL})}


class Patch(Schema):
    """A PATCH body: known keys only, at least one of them. Its fields default to None
    but take no null: absent or a value, as the schema says (a fuzzer holds us to it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(f"Say what to change: any of {', '.join(type(self).model_fields)}")
        return self
