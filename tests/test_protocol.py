"""The protocol has one home: every frame type has a schema, the suite checks every
frame sent against it, the docs name every type, and the API's answers are typed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from pydantic import ValidationError

from actions import protocol, selectors

from .servers import ROOT


def test_the_suite_checks_every_frame_it_sends():
    assert settings.GOODMOB["CHECK_FRAMES"], "pyproject's pytest env turns CHECK_FRAMES on"


def test_a_frame_that_drifts_from_its_schema_is_refused(action):
    frame = selectors.snapshot(action)
    protocol.encode(frame)
    with pytest.raises(ValidationError):
        protocol.encode({**frame, "counts": {**frame["counts"], "deeds": "many"}})
    with pytest.raises(ValidationError):
        protocol.encode({**frame, "surprise": 1})  # no field outside the schema
    with pytest.raises(protocol.UnknownFrame):
        protocol.encode({"type": "gossip"})


def test_every_frame_type_is_documented():
    doc = (ROOT / "docs" / "protocol.md").read_text()
    missing = [kind for kind in protocol.FRAMES if f"### `{kind}`" not in doc]
    assert not missing, f"frames missing from docs/protocol.md: {missing}"


TYPED = {
    ("/api/v1/actions/{slug}", "get", "200"): "Snapshot",
    ("/api/v1/join/{code}", "get", "200"): "Snapshot",
    ("/api/v1/actions/{slug}/tally", "get", "200"): "Counts",
    ("/api/v1/actions/{slug}/results", "get", "200"): "Results",
    ("/api/v1/actions/{slug}/funnel", "get", "200"): "Funnel",
    ("/api/v1/actions/{slug}/end", "post", "200"): "Snapshot",
    ("/api/v1/actions/{slug}/cancel", "post", "200"): "Snapshot",
    ("/api/v1/actions/{slug}/messages", "post", "201"): "Message",
}


def test_openapi_types_every_answer(db):
    doc = Client().get("/api/v1/openapi.json").json()
    for (path, method, status), name in TYPED.items():
        schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{name}"}, (path, schema)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                assert schema.get("type") != "object" or schema.get("properties"), (path, method, status)
    snapshot = doc["components"]["schemas"]["Snapshot"]
    assert {"counts", "seq", "server_now", "cells"} <= set(snapshot["properties"])
