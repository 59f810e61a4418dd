from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from actions import exports, geo, selectors, services
from actions.models import Announcement, CheckIn, CheckInStatus, Pledge
from actions.services import verification
from common.errors import Conflict, Forbidden, Invalid
from realtime import snapshots

from . import factories

pytestmark = pytest.mark.django_db
SPOT = (50.0617, 19.9373)


@pytest.fixture
def live(organizer):
    return factories.move_clock(factories.action(organizer), starts_in=timedelta(minutes=-1))


def attempt(key="attempt-0001", lat=SPOT[0], lon=SPOT[1], accuracy=12.0):
    return services.CheckInInput(idempotency_key=key, lat=lat, lon=lon, accuracy_m=accuracy)


def checked(action, user, data=None):
    made, _ = services.check_in(action, user, data or attempt())
    services.verify_pending(action.pk)
    made.refresh_from_db()
    return made


def test_check_in_is_stored_pending_and_pledges_first(live):
    user = factories.guest()
    made, fresh = services.check_in(live, user, attempt())
    assert fresh and made.status == CheckInStatus.PENDING
    assert Pledge.objects.filter(action=live, user=user).exists()


def test_same_key_returns_the_same_check_in(live):
    user = factories.guest()
    first, _ = services.check_in(live, user, attempt())
    again, fresh = services.check_in(live, user, attempt())
    assert again.pk == first.pk and not fresh
    with pytest.raises(Conflict) as refused:
        services.check_in(live, user, attempt(lat=SPOT[0] + 0.01))
    assert refused.value.code == "idempotency_key_reused"
    assert CheckIn.objects.count() == 1


def test_one_check_in_per_person(live):
    user = factories.guest()
    first = checked(live, user)
    assert first.status == CheckInStatus.VERIFIED
    second, fresh = services.check_in(live, user, attempt(key="attempt-0002"))
    assert second.pk == first.pk and not fresh and second.status == CheckInStatus.VERIFIED


def test_verified_inside_the_radius(live):
    made = checked(live, factories.guest())
    assert made.status == CheckInStatus.VERIFIED and made.reason == ""
    assert made.distance_m < 1
    assert made.cell == geo.public_cell(*SPOT)


def test_too_far_then_retry_from_the_spot(live):
    user = factories.guest()
    far = checked(live, user, attempt(lat=SPOT[0] + 0.01))  # about 1.1 km north
    assert far.status == CheckInStatus.REJECTED and far.reason == "too_far"
    assert "about 1,1" in selectors.verdict_detail(live, far)
    retry = checked(live, user, attempt(key="attempt-0002"))
    assert retry.pk == far.pk and retry.status == CheckInStatus.VERIFIED


def test_poor_accuracy_is_rejected(live):
    assert checked(live, factories.guest(), attempt(accuracy=900)).reason == "poor_accuracy"


def test_before_the_start_is_a_recorded_rejection(organizer):
    early = factories.action(organizer)
    made = checked(early, factories.guest())
    assert made.status == CheckInStatus.REJECTED and made.reason == "not_live"


def test_after_the_end_is_a_recorded_rejection(organizer):
    action = factories.action(organizer)
    user = factories.guest()
    services.pledge(action, user)
    factories.move_clock(action, starts_in=timedelta(minutes=-30), duration=timedelta(minutes=10))
    made = checked(action, user)
    assert made.reason == "not_live"


def test_window_uses_the_server_receipt_time(live):
    user = factories.guest()
    made, _ = services.check_in(live, user, attempt())
    # Received during the window, verified after it closed: still counts.
    factories.move_clock(live, starts_in=timedelta(minutes=-30), duration=timedelta(minutes=10))
    CheckIn.objects.filter(pk=made.pk).update(received_at=live.starts_at + timedelta(minutes=1))
    services.verify_pending(live.pk)
    made.refresh_from_db()
    assert made.status == CheckInStatus.VERIFIED


def test_anywhere_action_needs_no_location(organizer):
    anywhere = factories.action(organizer, lat=None, lon=None, radius_m=None, place_name="")
    factories.move_clock(anywhere, starts_in=timedelta(minutes=-1))
    made = checked(anywhere, factories.guest(), services.CheckInInput(idempotency_key="anywhere-1"))
    assert made.status == CheckInStatus.VERIFIED and made.cell == ""


def test_cancelled_action_refuses_check_ins(live):
    cancelled = services.cancel_action(live, live.organizer)
    with pytest.raises(Conflict):
        services.check_in(cancelled, factories.guest(), attempt())
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        attempt(key="short"),
        attempt(key=""),
        attempt(key="k" * 81),
        attempt(lat=95.0),
        attempt(lon=-190.0),
        attempt(lat=float("nan")),
        attempt(accuracy=-1.0),
        attempt(accuracy=None),
        attempt(lat=None),
    ],
)
def test_bad_check_in_input_changes_nothing(live, data):
    with pytest.raises(Invalid):
        services.check_in(live, factories.guest(), data)
    assert not CheckIn.objects.exists()


def test_deed_needs_a_verified_check_in(live):
    user = factories.guest()
    with pytest.raises(Conflict) as refused:
        services.mark_deed_done(live, user)
    assert refused.value.code == "not_verified"
    checked(live, user, attempt(lat=SPOT[0] + 0.05))
    with pytest.raises(Conflict):
        services.mark_deed_done(live, user)
    checked(live, user, attempt(key="attempt-0002"))
    done, fresh = services.mark_deed_done(live, user)
    assert fresh and done.deed_done_at is not None
    again, fresh_again = services.mark_deed_done(live, user)
    assert not fresh_again and again.deed_done_at == done.deed_done_at


def test_counts_are_exact_from_rows(live):
    for n in range(5):
        user = factories.guest(f"P{n}")
        if n < 4:
            checked(live, user, attempt(lat=SPOT[0] + (0.05 if n == 3 else 0)))
        else:
            services.pledge(live, user)
        if n < 2:
            services.mark_deed_done(live, user)
    assert selectors.counts(live) == {"pledged": 5, "checked_in": 3, "deeds": 2, "goal": 50}
    funnel = selectors.funnel(live)
    assert funnel["rejected"] == {"too_far": 1} and funnel["pending"] == 0


def test_verification_is_batched_and_idempotent(live, django_assert_max_num_queries):
    for n in range(30):
        services.check_in(live, factories.guest(f"B{n}"), attempt(key=f"burst-{n:04d}"))
    with django_assert_max_num_queries(8):
        assert services.verify_pending(live.pk) == 30
    assert services.verify_pending(live.pk) == 0
    assert CheckIn.objects.filter(status=CheckInStatus.VERIFIED).count() == 30


def test_a_full_batch_is_followed_by_the_next_until_a_short_one(live, monkeypatch):
    """A round stops after a short batch only: a backlog larger than a batch is worked
    through in one round."""
    monkeypatch.setattr(verification, "VERIFY_BATCH", 10)
    for n in range(25):
        services.check_in(live, factories.guest(f"F{n}"), attempt(key=f"full-{n:04d}"))
    assert services.verify_pending(live.pk) == 25
    assert not CheckIn.objects.filter(status=CheckInStatus.PENDING).exists()


def test_cells_show_only_with_five_established_people(live):
    for n in range(4):
        checked(live, factories.established(f"C{n}"), attempt(key=f"cell-{n:04d}"))
    checked(live, factories.guest("Fresh"), attempt(key="cell-fresh"))  # counts, but not on the map
    assert selectors.public_cells(live) == []
    checked(live, factories.established("C4"), attempt(key="cell-0004"))
    cells = selectors.public_cells(live)
    assert len(cells) == 1 and cells[0]["people"] == 5
    assert "lat" in cells[0] and cells[0]["lat"] != SPOT[0]  # the cell's centre, not anyone's point
    assert selectors.counts(live)["checked_in"] == 6


def test_sweep_requeues_stale_pending(live, settings):
    settings.GOODMOB = {**settings.GOODMOB, "PENDING_STALE_SECONDS": 0}
    made, _ = services.check_in(live, factories.guest(), attempt())
    CheckIn.objects.filter(pk=made.pk).update(received_at=timezone.now() - timedelta(seconds=30))
    assert services.sweep_pending() == 1  # re-queued
    assert snapshots.republish_live() == 1  # the live action's counts republished


def test_retention_drops_coordinates_keeps_verdict(live, settings):
    made = checked(live, factories.guest())
    pending, _ = services.check_in(live, factories.guest(), attempt(key="pending-0001"))
    CheckIn.objects.update(received_at=timezone.now() - timedelta(hours=25))
    assert services.drop_old_coordinates() == 2
    made.refresh_from_db()
    assert made.lat is None and made.lon is None and made.accuracy_m is None and made.distance_m is None
    assert made.status == CheckInStatus.VERIFIED and made.cell
    assert made.distance_band_m == 50  # a few metres from the spot, kept only as "within 50 m"
    pending.refresh_from_db()
    assert pending.lat is None and pending.status == CheckInStatus.PENDING  # past retention all the same
    assert services.drop_old_coordinates() == 0


def test_announcements_only_by_the_organizer(live):
    with pytest.raises(Forbidden):
        services.announce(live, factories.member(), "hello")
    with pytest.raises(Invalid):
        services.announce(live, live.organizer, "   ")
    with pytest.raises(Invalid):
        services.announce(live, live.organizer, "x" * 281)
    made = services.announce(live, live.organizer, "Bins are by the   fountain!")
    assert made.text == "Bins are by the fountain!"
    assert selectors.snapshot(live)["messages"][0]["text"] == "Bins are by the fountain!"
    assert Announcement.objects.count() == 1


def test_referrers_rank_by_verified_deeds(live):
    star = factories.member("star")
    factories.member("helper")
    for n in range(3):
        user = factories.guest(f"S{n}")
        services.pledge(live, user, ref_handle="star")
        checked(live, user, attempt(key=f"star-{n:04d}"))
    for n in range(4):
        user = factories.guest(f"H{n}")
        services.pledge(live, user, ref_handle="helper")
        if n == 0:
            checked(live, user, attempt(key=f"help-{n:04d}"))
            services.mark_deed_done(live, user)
    for user in [p.user for p in Pledge.objects.filter(referrer=star)[:2]]:
        services.mark_deed_done(live, user)
    ranking = selectors.top_referrers(live)
    assert [(r["handle"], r["deeds"], r["brought"]) for r in ranking] == [("star", 2, 3), ("helper", 1, 4)]


def test_csv_has_no_coordinates_and_is_spreadsheet_safe(live):
    checked(live, factories.guest("=cmd()"))
    rows = list(exports.csv_rows(live))
    assert rows[0] == exports.CSV_HEADER
    assert rows[1][0] == "'=cmd()" and rows[1][2] == "verified"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    assert str(SPOT[0]) not in text.getvalue()
