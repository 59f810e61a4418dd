from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.models import Profile
from accounts.services import create_member
from actions import selectors, services
from actions.models import Action, Phase
from social.services import follow

DEMO_PASSWORD = "good-mob-demo"
FOLLOWERS = [("alice", "Alice"), ("bao", "Bao"), ("chidi", "Chidi"), ("dana", "Dana")]


class Command(BaseCommand):
    help = "Load a small demo: organizer `demo`, a few followers, an action starting in a few minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: object, base_url: str, **options: object) -> None:
        organizer = self._member("demo", "Good Mob Demo")
        # Vouched for, as a moderator would: its action is listed for strangers at once.
        Profile.objects.filter(user=organizer).update(trusted=True)
        for username, name in FOLLOWERS:
            follow(self._member(username, name), organizer)
        action = (
            Action.objects.filter(
                organizer=organizer, status__in=[Phase.SCHEDULED, Phase.LIVE], ends_at__gt=timezone.now()
            )
            .order_by("starts_at")
            .first()
        )
        if action is None:
            action = services.launch_action(
                organizer,
                services.LaunchInput(
                    title="Litter pick on the Main Market Square",
                    deed="Pick up one piece of litter and put it in a bin.",
                    place_name="Rynek Główny, Kraków",
                    lat=50.06170,
                    lon=19.93734,
                    radius_m=150,
                    starts_at=timezone.now() + timedelta(minutes=5),
                    duration_minutes=15,
                    goal=50,
                ),
            )
            for username, _ in FOLLOWERS[:2]:
                services.pledge(action, User.objects.get(username=username))
        base = base_url.rstrip("/")
        fields = selectors.action_fields(action)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  Good Mob is running:",
                    f"    home       {base}/",
                    f"    action     {base}{fields['url']}",
                    f"    join page  {base}/j/{action.join_code}   (join code {action.join_code})",
                    f"    dashboard  {base}{fields['dashboard_url']}",
                    f"    API docs   {base}/api/v1/docs",
                    f"    metrics    {base}/metrics   (ready: {base}/readyz)",
                    f"  Log in as demo / {DEMO_PASSWORD} (followers alice, bao, chidi, dana: same password)",
                    "",
                ]
            )
        )

    def _member(self, username: str, name: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_member(username, DEMO_PASSWORD, name)
        return user
