"""Untrusted input: JSON and text, refused with a clear 4xx before anything else reads it.

One home for the rules every door shares (the API's parser, the bearer fast path, the
websocket consumers, the pages' middleware):
- JSON nested deeper than MAX_DEPTH is refused (a thousand levels used to raise
  RecursionError inside a request), and so are NaN and Infinity.
- Text that PostgreSQL cannot store is refused: NUL characters, and lone surrogates
  (valid JSON escapes such as "\\ud800" that no UTF-8 encoding has). SQLite takes them,
  PostgreSQL raises, and inside a group-committed batch that failed everyone's writes.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import Invalid, ServiceError

MAX_DEPTH = 16
# The largest value every integer column takes on both databases (PostgreSQL integer).
INT_MAX = 2**31 - 1

UNSTORABLE_DETAIL = "Text may not contain NUL characters or unpaired UTF-16 surrogates."


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: str, field: str | None = None) -> str:
    if not storable(text):
        raise Invalid("invalid_text", UNSTORABLE_DETAIL, field=field)
    return text


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(data: bytes | str) -> Any:
    """JSON from a client, or a ServiceError that says what is wrong with it."""
    try:
        value = json.loads(data, parse_constant=_no_constants)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise ServiceError("invalid_json", "The body is not valid JSON (UTF-8).", status=400) from None
    if not _plainly_fine(data):
        _check_tree(value)
    return value


def _plainly_fine(data: bytes | str) -> bool:
    """Whether the text alone shows the tree is fine, without walking it (most bodies: the
    walk was a fifth of the edge door's CPU per check-in). A NUL or a lone surrogate can
    only come from a \\u escape (the parser refuses raw control characters and bad
    UTF-8), and nesting is never deeper than the brackets opened. Bytes with a NUL in them
    are UTF-16 or UTF-32 to the parser, where these byte tests do not hold: walked."""
    if isinstance(data, str):
        return "\\u" not in data and data.count("[") + data.count("{") <= MAX_DEPTH
    return b"\\u" not in data and b"\x00" not in data and data.count(b"[") + data.count(b"{") <= MAX_DEPTH


def loads_body(data: bytes | str) -> dict[str, Any]:
    """A request body: an object, or nothing at all (empty or `null`), read as {}."""
    if not data.strip():
        return {}
    value = loads(data)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ServiceError("invalid_json", "The body must be a JSON object.", status=400)
    return value


def too_deep() -> ServiceError:
    return ServiceError("invalid_json", f"JSON may be nested at most {MAX_DEPTH} levels deep.", status=400)


def _check_tree(value: Any) -> None:
    # Iterative: the point is to refuse deep input without recursing into it.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def one_line(text: str | None, *, field: str, max_length: int, missing: str, too_long: str) -> str:
    """Text people type on one line: runs of white space become one space; required and
    at most `max_length` characters, each refusal in its own words."""
    text = " ".join((text or "").split())
    if not text:
        raise Invalid("invalid", missing, field=field)
    if len(text) > max_length:
        raise Invalid("invalid", too_long, field=field)
    return text
