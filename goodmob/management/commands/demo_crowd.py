"""`make demo`: a crowd of simulated phones for a newcomer to watch.

It launches a short action for the demo organizer and then plays its crowd through the
real HTTP API of a running `make run`, as phones would: each becomes a guest, pledges
during the countdown, checks in at GO from somewhere near the spot (a few too far away,
who step closer and try again), and marks the deed done a little later. The dashboard
climbs on its own. With --loop it starts the next action when one ends.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from actions import services
from actions.models import Action

NAMES = (
    "Ania Bartek Cyryl Dorota Ela Filip Gosia Hubert Iga Janek Kasia Leon Magda Nikola Ola Piotr "
    "Róża Staś Tola Wiktor Zosia Amir Bea Chen Diego Emeka Fatima Goran Hana Ines Jonas Kofi Lena "
    "Mateo Nadia Omar Priya Quinn Rafał Sven Tariq Uma Vera Wen Yara"
).split()
SPOT = (50.06170, 19.93734)  # Rynek Główny, Kraków: the demo's own square
RADIUS_M = 150
M_PER_DEG = 111_320


@dataclass(frozen=True)
class Plan:
    name: str
    pledge_after: float  # seconds after launch
    check_in_late: float  # seconds after GO
    far: bool  # the first fix is outside the radius
    deed_after: float  # seconds after a verified check-in
    gives_up: bool  # pledges, never turns up


class Phone:
    """One simulated participant: a guest token and the calls a phone makes."""

    def __init__(self, base: str, slug: str) -> None:
        self.base, self.slug, self.token = base, slug, ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=json.dumps(body or {}).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as refusal:
            return refusal.code, json.loads(refusal.read() or b"{}")

    def near(self, far: bool) -> dict[str, float]:
        distance = random.uniform(RADIUS_M * 2.5, RADIUS_M * 5) if far else random.uniform(0, RADIUS_M * 0.8)
        angle = random.uniform(0, 2 * math.pi)
        lat = SPOT[0] + distance * math.sin(angle) / M_PER_DEG
        lon = SPOT[1] + distance * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(SPOT[0])))
        return {"lat": lat, "lon": lon, "accuracy_m": random.uniform(5, 25)}

    def live(self, plan: Plan, launched: float, go: float, stop: threading.Event) -> None:
        if stop.wait(max(0.0, launched + plan.pledge_after - time.monotonic())):
            return
        status, guest = self.call("POST", "/api/v1/guests", {"name": plan.name})
        if status != 201:
            return
        self.token = guest["token"]
        self.call("POST", f"/api/v1/actions/{self.slug}/pledges", {})
        if plan.gives_up or stop.wait(max(0.0, go + plan.check_in_late - time.monotonic())):
            return
        for far in (plan.far, False):
            body = {**self.near(far), "idempotency_key": uuid.uuid4().hex}
            self.call("POST", f"/api/v1/actions/{self.slug}/checkins", body)
            verdict = self.verdict(stop)
            if verdict == "verified":
                break
            if stop.wait(random.uniform(8, 20)):  # walks closer
                return
        else:
            return
        if not stop.wait(plan.deed_after):
            self.call("POST", f"/api/v1/actions/{self.slug}/deeds")

    def verdict(self, stop: threading.Event) -> str:
        for _ in range(20):
            status, mine = self.call("GET", f"/api/v1/actions/{self.slug}/checkins/mine")
            if status == 200 and mine.get("status") != "pending":
                return str(mine["status"])
            if stop.wait(1):
                break
        return "pending"


def plans(people: int, countdown: float) -> list[Plan]:
    names = random.sample(NAMES, k=min(people, len(NAMES))) + [
        f"Walker {n}" for n in range(max(0, people - len(NAMES)))
    ]
    return [
        Plan(
            name=name,
            pledge_after=random.uniform(2, countdown - 5),
            check_in_late=random.expovariate(1 / 25),
            far=random.random() < 0.12,
            deed_after=random.uniform(10, 70),
            gives_up=random.random() < 0.1,
        )
        for name in names
    ]


class Command(BaseCommand):
    help = "Play a crowd of simulated phones through the real API of a running `make run`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--people", type=int, default=40)
        parser.add_argument("--countdown", type=int, default=45, help="seconds from launch to GO")
        parser.add_argument("--minutes", type=int, default=4, help="how long the action lasts")
        parser.add_argument("--loop", action="store_true", help="start the next action when one ends")

    def handle(
        self, *args: object, base_url: str, people: int, countdown: int, minutes: int, loop: bool, **_: object
    ) -> None:
        base = base_url.rstrip("/")
        try:
            urllib.request.urlopen(f"{base}/", timeout=5).close()
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"Nothing answers at {base}: start it with `make run` first ({exc}).") from None
        if not User.objects.filter(username="demo").exists():
            call_command("demo", base_url=base, stdout=self.stdout)
        while True:
            self.play(base, max(1, min(people, 500)), max(15, countdown), max(1, min(minutes, 60)))
            if not loop:
                return

    def play(self, base: str, people: int, countdown: int, minutes: int) -> None:
        action = self.launch(countdown, minutes, goal=max(10, int(0.7 * people)))
        self.stdout.write(
            f"\n  A demo crowd of {people} is on its way to “{action.title}”: GO in {countdown} s.\n"
            f"    dashboard  {base}/a/{action.slug}/live\n    action     {base}/a/{action.slug}\n"
        )
        launched = time.monotonic()
        go = launched + countdown
        stop = threading.Event()
        phones = [
            threading.Thread(target=Phone(base, action.slug).live, args=(plan, launched, go, stop), daemon=True)
            for plan in plans(people, countdown)
        ]
        for phone in phones:
            phone.start()
        try:
            end = go + minutes * 60
            while time.monotonic() < end and any(p.is_alive() for p in phones):
                time.sleep(1)
        except KeyboardInterrupt:
            stop.set()
            raise
        stop.set()
        action.refresh_from_db()
        self.stdout.write(f"  The crowd is done: see {base}/a/{action.slug}/results\n")

    def launch(self, countdown: int, minutes: int, goal: int) -> Action:
        organizer = User.objects.get(username="demo")
        return services.launch_action(
            organizer,
            services.LaunchInput(
                title="Demo crowd: flowers for the square",
                deed="Bring one flower to the Adam Mickiewicz monument.",
                place_name="Rynek Główny, Kraków",
                lat=SPOT[0],
                lon=SPOT[1],
                radius_m=RADIUS_M,
                starts_at=timezone.now() + timedelta(seconds=countdown),
                duration_minutes=minutes,
                goal=goal,
            ),
        )
