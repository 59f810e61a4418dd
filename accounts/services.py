"""People: guests, members, profiles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_noop

from common import sql
from common.codes import random_string
from common.denylist import check_allowed
from common.errors import Conflict
from common.inputs import one_line

from . import revocation
from .models import ApiToken, Profile

HANDLE_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
NAME_MAX = 60


def clean_name(name: str | None) -> str:
    return check_allowed(
        one_line(
            name,
            field="name",
            max_length=NAME_MAX,
            missing="Enter a display name.",
            too_long=f"A display name has at most {NAME_MAX} characters.",
        ),
        "name",
    )


def _create_profile(user: User, handle_base: str, display_name: str, *, is_guest: bool, exact: bool) -> Profile:
    base = slugify(handle_base)[:24].strip("-") or "friend"
    for attempt in range(8):
        handle = base if exact and attempt == 0 else f"{base}-{random_string(HANDLE_SUFFIX_ALPHABET, 4)}"
        try:
            with transaction.atomic():
                return Profile.objects.create(
                    user=user,
                    handle=handle,
                    display_name=display_name,
                    is_guest=is_guest,
                    named_in_cascade=not is_guest,
                )
        except IntegrityError:
            if exact:
                raise Conflict(
                    "handle_taken", gettext_noop("That name is taken; pick another."), field="username"
                ) from None
    raise Conflict("handle_taken", gettext_noop("Could not find a free handle; try another name."))


def create_guest(name: str) -> User:
    """A real user with no password, kept by the session cookie."""
    display_name = clean_name(name)
    with transaction.atomic():
        user = User(username=f"guest-{secrets.token_hex(8)}")
        user.set_unusable_password()
        user.save()
        _create_profile(user, display_name, display_name, is_guest=True, exact=False)
    return user


def name_taken(name: str, *, besides: User | None = None) -> bool:
    """A username or a handle, of anyone but `besides`, in any case."""
    profiles = Profile.objects.filter(handle__iexact=name)
    users = User.objects.filter(username__iexact=name)
    if besides is not None:
        profiles, users = profiles.exclude(user=besides), users.exclude(pk=besides.pk)
    return profiles.exists() or users.exists()


def create_member(username: str, password: str, display_name: str | None = None, email: str = "") -> User:
    with transaction.atomic():
        if name_taken(username):
            raise Conflict("handle_taken", gettext_noop("That name is taken; pick another."), field="username")
        user = User.objects.create_user(username=username, password=password, email=email)
        _create_profile(user, username, clean_name(display_name or username), is_guest=False, exact=True)
    return user


def upgrade_guest(user: User, *, username: str, password: str, email: str = "") -> User:
    """Turn a guest into a member, keeping every pledge and check-in they made."""
    profile = ensure_profile(user)
    if not profile.is_guest:
        raise Conflict("not_guest", gettext_noop("This account already has a password."))
    # Usernames and handles are one namespace: people log in with the name they see as
    # a handle, so taking someone else's handle as a username would sign in as "them".
    if name_taken(username, besides=user):
        raise Conflict("handle_taken", gettext_noop("That name is taken; pick another."), field="username")
    with transaction.atomic():
        user.username = username
        user.email = email
        user.set_password(password)
        user.save()
        profile.is_guest = False
        profile.email_verified = False
        profile.save(update_fields=["is_guest", "email_verified"])
    return user


def update_profile(user: User, *, name: str | None = None, named_in_cascade: bool | None = None) -> Profile:
    """Change what others see of you: the display name, and whether it appears in the
    who-brought-whom drawings (off for guests until they say so)."""
    profile = ensure_profile(user)
    changed = []
    if name is not None:
        profile.display_name = clean_name(name)
        changed.append("display_name")
    if named_in_cascade is not None:
        profile.named_in_cascade = named_in_cascade
        changed.append("named_in_cascade")
    if changed:
        profile.save(update_fields=changed)
    return profile


def remember_language(user: User | AnonymousUser, language: str) -> None:
    """The language alerts and emails will speak to this person (one of LANGUAGES)."""
    if not isinstance(user, User) or language not in dict(settings.LANGUAGES):
        return
    profile = ensure_profile(user)  # loaded already by any page's top bar: no write unless it changed
    if profile.language != language:
        profile.language = language
        profile.save(update_fields=["language"])


def ensure_profile(user: User) -> Profile:
    """Users made outside our services (createsuperuser) get a profile on first use."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return _create_profile(user, user.get_username(), user.get_username(), is_guest=False, exact=False)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    """A new token for scripts; the key is shown once, only its hash is kept."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=hash_token(key), name=" ".join(name.split())[:60])
    return key


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def revoke_token(user: User, token_id: int) -> bool:
    """Only the owner's own tokens; True when one was revoked."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if deleted:
        revocation.announce()
    return bool(deleted)


def user_for_token(key: str) -> User | None:
    hashed = hash_token(key)
    return users_for_token_hashes([hashed]).get(hashed)


# A token unused this long stops working; its use is recorded at most this often.
TOKEN_IDLE = timedelta(days=90)
TOKEN_TOUCH_EVERY = timedelta(hours=1)


def users_for_token_hashes(hashes: list[str]) -> dict[str, User]:
    """Active users by token hash, in one query however many tokens, which on PostgreSQL
    also records the use of those last used more than an hour ago (elsewhere a second
    statement does).

    Plain SQL: every check-in batch asks, and on the 2-core bench machine the ORM's
    query building cost 3.3 ms of CPU for 30 tokens, a raw queryset 1.2 (bench/orm_cost.py:
    a small ORM query costs about seven times the same query through a raw cursor), and
    plain rows made into users 0.9."""
    if not hashes:
        return {}
    now = timezone.now()
    qn, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    tokens = qn(ApiToken._meta.db_table)
    lookup = (
        f"SELECT {sql.columns(User, 'u')}, t.key_hash, t.id AS token_id,"
        " (t.last_used_at IS NULL OR t.last_used_at < %s) AS stale"
        f" FROM {tokens} t JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id"
        f" WHERE t.key_hash IN ({sql.placeholders(hashes)}) AND u.is_active"
        " AND COALESCE(t.last_used_at, t.created_at) >= %s"
    )
    params = [adapt(now - TOKEN_TOUCH_EVERY), *hashes, adapt(now - TOKEN_IDLE)]
    touches_itself = connection.vendor == "postgresql"
    if touches_itself:
        # A data-modifying WITH runs whether or not the outer SELECT reads it.
        lookup = (
            f"WITH found AS ({lookup}), touched AS (UPDATE {tokens} SET last_used_at = %s"
            " WHERE id IN (SELECT token_id FROM found WHERE stale)) SELECT * FROM found"
        )
        params.append(adapt(now))
    with connection.cursor() as cursor:
        cursor.execute(lookup, params)
        rows = cursor.fetchall()
    stale = [] if touches_itself else [token_id for *_, token_id, token_stale in rows if token_stale]
    if stale:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {tokens} SET last_used_at = %s WHERE id IN ({sql.placeholders(stale)})",
                [adapt(now), *stale],
            )
    return {row[-3]: user for user, row in zip(sql.instances(User, rows), rows, strict=True)}
