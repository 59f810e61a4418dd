"""A snapshot skips the parts an action does not have (actions/counting.py): with every
part there, it holds what each part's own reader returns."""

from __future__ import annotations

from datetime import timedelta

import h3
from django.utils import timezone

from actions import geo, rules, selectors, services
from actions.models import Announcement, CheckIn, CoOrganizer, Momentum, Raid, Spotlight

from . import factories
from .factories import SPOT


def test_every_part_there_is_is_in_the_snapshot(organizer):
    live = factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))
    people = [factories.guest(f"P{n}") for n in range(geo.MIN_PEOPLE_PER_CELL)]
    for n, person in enumerate(people):
        services.check_in(live, person, rules.CheckInInput(f"part-{n:05}", **SPOT))
    services.verify_pending(live.pk)
    services.mark_deed_done(live, people[0])
    cell = h3.latlng_to_cell(SPOT["lat"], SPOT["lon"], geo.PUBLIC_CELL_RESOLUTION)
    CheckIn.objects.filter(action=live).update(on_public_map=True, cell=cell)
    others = [factories.action(factories.member(f"org{k}"), title=f"Other {k}") for k in range(2)]
    Spotlight.objects.create(action=live, target=others[0], position=0)
    Raid.objects.create(source=live, target=others[1])
    Momentum.objects.create(action=live, deeds=5, within_minutes=10, add_minutes=5, cap_minutes=30)
    CoOrganizer.objects.create(action=live, user=factories.member("cole"), accepted_at=timezone.now())
    Announcement.objects.create(action=live, text="Bins are by the fountain!")

    snapshot = selectors.snapshot(live)

    assert snapshot["counts"] == {"pledged": len(people), "checked_in": len(people), "deeds": 1, "goal": live.goal}
    assert [p["handle"] for p in snapshot["recent_pledges"]] == [
        p.user.profile.handle for p in selectors.newest_pledges(live)
    ]
    assert [d["name"] for d in snapshot["recent_deeds"]] == ["P0"]
    assert snapshot["cells"] == selectors.public_cells(live) != []
    assert [m["text"] for m in snapshot["messages"]] == ["Bins are by the fountain!"]
    assert snapshot["co_organizers"] == [{"handle": "cole", "name": "Cole"}]
    assert [a["slug"] for a in snapshot["spotlight"]] == [others[0].slug]
    assert snapshot["raid"]["slug"] == others[1].slug
    assert snapshot["momentum"] == selectors.momentum_state(live) != None  # noqa: E711


def test_an_empty_action_has_empty_parts(organizer):
    snapshot = selectors.snapshot(factories.action(organizer))
    assert snapshot["counts"] == {"pledged": 0, "checked_in": 0, "deeds": 0, "goal": snapshot["action"]["goal"]}
    assert snapshot["recent_pledges"] == snapshot["recent_deeds"] == snapshot["cells"] == []
    assert snapshot["messages"] == snapshot["co_organizers"] == snapshot["spotlight"] == []
    assert snapshot["raid"] is None and snapshot["momentum"] is None
