"""The public map against someone who tries: throwaway accounts cannot light up the cell
around a real person, and the map coarsens while it has few cells."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import h3

from actions import geo, rules, selectors, services
from actions.models import CheckIn, CheckInStatus

from . import factories

HOME = (50.0617, 19.9373)  # the victim's street


def test_surrounding_a_victim_with_throwaway_guests_reveals_nothing(organizer):
    """The audit's attack, with its numbers: 254 fresh guests, two in each of the 127 H3
    cells around the victim (a disk of six rings), checking in with invented coordinates."""
    home_cell = h3.latlng_to_cell(*HOME, geo.PUBLIC_CELL_RESOLUTION)
    zone = h3.grid_disk(home_cell, 6)
    assert len(zone) == 127
    reach = max(geo.distance_m(HOME, h3.cell_to_latlng(cell)) for cell in zone)
    action = factories.action(organizer, lat=HOME[0], lon=HOME[1], radius_m=int(reach) + 200)
    factories.move_clock(action, starts_in=timedelta(minutes=-1))
    for n, cell in enumerate(sorted(zone)):
        lat, lon = h3.cell_to_latlng(cell)
        for k in range(2):
            fake = factories.guest(f"Fake {n}-{k}")
            services.check_in(action, fake, services.CheckInInput(f"fake-{n:03}-{k}", lat=lat, lon=lon, accuracy_m=8))
    victim = factories.established("Victim")
    services.check_in(action, victim, services.CheckInInput("victim-0001", lat=HOME[0], lon=HOME[1], accuracy_m=8))
    services.verify_pending(action.pk)

    verified = CheckIn.objects.filter(action=action, status=CheckInStatus.VERIFIED)
    assert verified.count() == 255
    # Under the old rule (anyone, three a cell) the victim's cell, and only hers, showed.
    naive = Counter(verified.values_list("cell", flat=True))
    assert [cell for cell, people in naive.items() if people >= 3] == [home_cell]
    # Now: not her cell, nor any coarser area that holds it; nothing at all, in fact.
    shown = selectors.public_cells(action)
    assert not [area for area in shown if h3.cell_to_parent(home_cell, h3.get_resolution(area["cell"])) == area["cell"]]
    assert shown == []
    assert selectors.counts(action)["checked_in"] == 255  # every one of them still counts


def test_five_established_people_light_a_cell_coarsened_while_it_is_alone():
    a, b, c = (h3.latlng_to_cell(50.06 + d, 19.93, 9) for d in (0.0, 0.05, 0.10))
    # One qualifying cell: shown only at the coarsest resolution.
    [(area, people)] = geo.public_areas({a: 5, b: 4})
    assert h3.get_resolution(area) == geo.COARSER_RESOLUTIONS[-1] and people >= 5
    # Three qualifying cells: shown as they are.
    shown = geo.public_areas({a: 5, b: 6, c: 7, h3.latlng_to_cell(50.2, 19.93, 9): 4})
    assert [cell for cell, _ in shown] == [c, b, a]


def test_the_account_age_rule(organizer, settings):
    action = factories.action(organizer)
    assert services.verify_pending(action.pk) == 0

    day = timedelta(hours=settings.GOODMOB["PUBLIC_MAP_MIN_ACCOUNT_AGE_HOURS"])
    assert rules.counts_on_public_map(action.starts_at - day, action)
    assert not rules.counts_on_public_map(action.starts_at - day + timedelta(seconds=1), action)
