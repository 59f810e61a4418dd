"""One home per rule: the doors take their limits from rules.py, and where SQL restates
a rule or a default for speed, it agrees with the Python it restates."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from actions import rules, selectors, services
from actions.forms import LaunchForm
from actions.models import Action, CheckIn, Phase
from actions.schemas import ActionIn, CheckInIn, DispatchIn
from actions.services import verification
from common.errors import Invalid

from . import factories

SPOT = {"lat": 50.0617, "lon": 19.9373, "accuracy_m": 10.0}


def spread_of_actions(organizer) -> list[Action]:
    """Every phase, and stored statuses that lag the clock both ways."""
    made = []
    for starts_in, duration, status in [
        (timedelta(minutes=10), 15, Phase.SCHEDULED),  # upcoming
        (timedelta(minutes=-1), 15, Phase.SCHEDULED),  # live by the clock, flip pending
        (timedelta(minutes=-1), 15, Phase.LIVE),
        (timedelta(minutes=-30), 15, Phase.LIVE),  # over by the clock, flip pending
        (timedelta(minutes=-30), 15, Phase.ENDED),
        (timedelta(minutes=10), 15, Phase.CANCELLED),
        (timedelta(minutes=-1), 15, Phase.CANCELLED),
        (timedelta(minutes=-1), 15, Phase.ENDED),  # ended early
    ]:
        action = factories.move_clock(
            factories.action(organizer), starts_in=starts_in, duration=timedelta(minutes=duration)
        )
        Action.objects.filter(pk=action.pk).update(status=status)
        action.refresh_from_db()
        made.append(action)
    return made


def test_open_actions_query_is_the_open_rule(organizer):
    actions, now = spread_of_actions(organizer), timezone.now()
    listed = set(selectors.open_actions(now).values_list("pk", flat=True))
    assert listed == {a.pk for a in actions if not rules.is_closed(a, now)}


def test_actions_due_query_is_the_phase_rule(organizer):
    actions, now = spread_of_actions(organizer), timezone.now()
    due = set(selectors.actions_due(now).values_list("pk", flat=True))
    # Cancelled and ended are final: the clock never moves them, so they are never due.
    assert due == {a.pk for a in actions if a.phase_at(now) != a.status}


def test_recently_live_query_is_the_counting_window(organizer):
    actions, now = spread_of_actions(organizer), timezone.now()
    listed = set(selectors.recently_live(now).values_list("pk", flat=True))
    window = {a.pk for a in actions if a.status != Phase.CANCELLED and a.starts_at <= now}
    assert listed == {pk for pk in window if Action.objects.get(pk=pk).ends_at >= now - timedelta(minutes=5)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement batch is PostgreSQL's")
def test_batch_insert_stores_what_the_model_would(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    guest = factories.guest()
    [made] = services.check_in_many(live, [(guest, rules.CheckInInput("batch-0001", **SPOT))])
    stored = CheckIn.objects.get(pk=made.pk)
    model = CheckIn()  # the model's defaults, which the SQL restates
    for field in ("status", "reason", "cell", "on_public_map", "deed_done_at", "distance_m", "verified_at"):
        assert getattr(stored, field) == getattr(model, field), field


def test_verdict_sql_sets_the_fields_the_orm_path_saves():
    assigned = re.search(r"SET (.*?)\nFROM", verification.VERDICTS_SQL, re.S)
    assert assigned is not None
    columns = [part.split("=")[0].strip() for part in assigned.group(1).split(",")]
    assert columns == verification.VERDICT_FIELDS


def json_limits(schema: type, field: str) -> dict:
    prop = schema.model_json_schema()["properties"][field]
    options = prop.get("anyOf", [prop])
    return {k: v for option in options for k, v in option.items() if k in ("maxLength", "minimum", "maximum")}


def test_launch_fields_and_limits_are_one_list():
    launch_fields = {f.name for f in dataclasses.fields(rules.LaunchInput)}
    # The launch's fields, and the one optional ask that rides along with it.
    assert set(ActionIn.model_fields) == launch_fields | {"dispatch"}
    dispatch_fields = {f.name for f in dataclasses.fields(rules.DispatchInput)}
    assert set(DispatchIn.model_fields) == dispatch_fields
    assert json_limits(DispatchIn, "people") == {"minimum": 1, "maximum": rules.DISPATCH_PEOPLE_MAX}
    assert launch_fields <= set(LaunchForm.base_fields)
    assert json_limits(ActionIn, "title") == {"maxLength": rules.TITLE_MAX}
    assert json_limits(ActionIn, "radius_m") == {"minimum": rules.RADIUS_MIN, "maximum": rules.RADIUS_MAX}
    assert json_limits(ActionIn, "lat") == {"minimum": -90, "maximum": 90}
    assert json_limits(CheckInIn, "lon") == {"minimum": -180, "maximum": 180}
    form = LaunchForm()
    assert form.fields["title"].max_length == rules.TITLE_MAX
    assert (form.fields["lat"].min_value, form.fields["lat"].max_value) == (-90, 90)


@pytest.mark.parametrize("lat", [float("nan"), 90.5, -91.0])
def test_every_door_refuses_the_same_bad_latitude(lat):
    action = Action(radius_m=100, lat=0.0, lon=0.0)
    with pytest.raises(Invalid):
        rules.clean_checkin(action, rules.CheckInInput("bounds-001", lat=lat, lon=10.0, accuracy_m=5.0), timezone.now())
    form = LaunchForm(data={"lat": str(lat)})
    assert "lat" in form.errors
    with pytest.raises(ValueError):
        CheckInIn(lat=lat, lon=10.0, accuracy_m=5.0, idempotency_key="bounds-001")
