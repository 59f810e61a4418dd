"""The organizer's desk: who is where (the participant list), and launching again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import presence, services
from actions.models import Action

from . import factories
from .conftest import assert_problem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-2))


def test_each_person_and_their_stage(api, live, organizer):
    from django.utils import timezone

    people = {name: factories.guest(name) for name in ("Ana", "Bo", "Cy", "Di", "Ed")}
    services.pledge(live, people["Ana"])
    services.check_in(live, people["Bo"], services.CheckInInput("stage-0001", **factories.SPOT))
    services.check_in(live, people["Cy"], services.CheckInInput("stage-0002", lat=50.2, lon=19.9, accuracy_m=5))
    code = presence.shown(live, timezone.now()).code
    services.check_in(live, people["Di"], services.CheckInInput("stage-0003", presence_code=code))
    services.verify_pending(live.pk)
    services.check_in(live, people["Ed"], services.CheckInInput("stage-0004", **factories.SPOT))
    services.mark_deed_done(live, people["Bo"])
    api.force_login(organizer)
    rows = {row["name"]: row for row in api.get(f"/api/v1/actions/{live.slug}/participants").json()}
    assert rows["Ana"]["stage"] == "pledged"
    assert rows["Bo"]["stage"] == "done" and rows["Bo"]["method"] == "gps"
    assert rows["Cy"]["stage"] == "refused" and rows["Cy"]["reason"] == "too_far"
    assert rows["Di"]["stage"] == "here" and rows["Di"]["method"] == "code"
    assert rows["Ed"]["stage"] == "checking"


def test_only_organizers_see_the_list(api, live):
    api.force_login(factories.member("nosy"))
    assert_problem(api.get(f"/api/v1/actions/{live.slug}/participants"), 403, "forbidden")


def test_launch_again_fills_in_everything_but_the_time(client, organizer):
    earlier = factories.action(organizer, title="Bench paint", goal=12, radius_m=80)
    client.force_login(organizer)
    page = client.get(f"/launch/?again={earlier.slug}").content.decode()
    assert 'value="Bench paint"' in page and 'value="12"' in page and 'value="80"' in page
    assert earlier.deed in page
    client.force_login(factories.member("copycat"))
    assert 'value="Bench paint"' not in client.get(f"/launch/?again={earlier.slug}").content.decode()
    assert Action.objects.count() == 1
