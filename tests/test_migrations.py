"""A database made by the previous release (people and follows in `actions`) migrates to
the split apps with every row kept: the tables stay, only Django's view of them moves."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import ApiToken, Profile
from actions.models import Action, Pledge
from social.models import Follow

PREVIOUS_RELEASE = [("actions", "0003_checkin_action"), ("accounts", None), ("social", None)]


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_previous_release_rows_survive_the_split():
    old_nodes = [("actions", "0003_checkin_action"), ("contenttypes", "0002_remove_content_type_name")]
    old = migrate(PREVIOUS_RELEASE).loader.project_state(old_nodes).apps
    ContentType.objects.filter(app_label__in=["accounts", "social"]).delete()
    OldUser = old.get_model("auth", "User")
    OldProfile, OldToken = old.get_model("actions", "Profile"), old.get_model("actions", "ApiToken")
    OldFollow, OldAction, OldPledge = (old.get_model("actions", m) for m in ("Follow", "Action", "Pledge"))
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldContentType.objects.get_or_create(app_label="actions", model="profile")
    ada, bo = (OldUser.objects.create(username=name) for name in ("ada", "bo"))
    OldProfile.objects.create(user=ada, handle="ada", display_name="Ada", is_guest=False)
    OldProfile.objects.create(user=bo, handle="bo", display_name="Bo", is_guest=True)
    OldToken.objects.create(user=bo, key_hash="f" * 64)
    OldFollow.objects.create(follower=bo, followee=ada)
    now = timezone.now()
    action = OldAction.objects.create(
        slug="old-1", join_code="ABCDEF", organizer=ada, title="Old", deed="Kept.", starts_at=now, ends_at=now, goal=5
    )
    OldPledge.objects.create(action=action, user=bo)

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert {(p.handle, p.display_name, p.is_guest) for p in Profile.objects.all()} == {
        ("ada", "Ada", False),
        ("bo", "Bo", True),
    }
    assert ApiToken.objects.get().user.username == "bo"
    follow = Follow.objects.select_related("follower", "followee").get()
    assert (follow.follower.username, follow.followee.username) == ("bo", "ada")
    assert Pledge.objects.get(action=Action.objects.get(slug="old-1")).user.profile.handle == "bo"
    assert ContentType.objects.filter(app_label="accounts", model="profile").exists()
    assert not ContentType.objects.filter(app_label="actions", model="profile").exists()
