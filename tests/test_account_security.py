"""Accounts people can secure: a confirmed email, a password reset by email, and API
tokens that are named, listed, revocable one by one and expire when left unused."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import services as accounts
from accounts import verification
from accounts.models import ApiToken

from . import factories

PASSWORD = "a-long-test-password"


def link_in(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^\s]+", message.body)
    assert found, message.body
    return found.group(0).replace("http://testserver", "")


def test_sign_up_with_an_email_and_confirm_it(db):
    client = Client()
    page = client.post(
        "/signup/", {"username": "ines", "password1": PASSWORD, "password2": PASSWORD, "email": "ines@example.org"}
    )
    assert page.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ines@example.org"] and "@ines" in message.body
    user = User.objects.get(username="ines")
    assert not user.profile.email_verified
    assert client.get(link_in(message)).status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.email_verified
    assert "confirmed" in client.get("/account/").content.decode()


def test_a_tampered_or_outdated_link_confirms_nothing(db):
    user = accounts.create_member("jon", PASSWORD, email="jon@example.org")
    token = verification.token_for(user)
    assert verification.confirm(token[:-2] + "xx") is None
    User.objects.filter(pk=user.pk).update(email="new@example.org")  # changed since the link
    assert verification.confirm(token) is None
    user.profile.refresh_from_db()
    assert not user.profile.email_verified


def test_reset_a_forgotten_password_by_email(db):
    user = accounts.create_member("kai", PASSWORD, email="kai@example.org")
    elsewhere = Client()
    elsewhere.force_login(user)
    client = Client()
    assert client.get("/login/").content.decode().count("/password-reset/") == 1
    assert client.post("/password-reset/", {"email": "KAI@example.org"}).status_code == 302
    [message] = mail.outbox
    confirm = client.get(link_in(message), follow=True)
    assert confirm.status_code == 200 and "Choose a new password" in confirm.content.decode()
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "another-long-password", "new_password2": "another-long-password"},
    )
    assert done.status_code == 302
    assert Client().post("/login/", {"username": "kai", "password": "another-long-password"}).status_code == 302
    assert elsewhere.get("/account/").status_code == 302  # the old session was signed out
    user.refresh_from_db()
    assert user.check_password("another-long-password")


def test_no_email_for_unknown_addresses_or_guests(db):
    guest = factories.guest("Gil")
    User.objects.filter(pk=guest.pk).update(email="gil@example.org")
    client = Client()
    for address in ("nobody@example.org", "gil@example.org"):
        assert client.post("/password-reset/", {"email": address}).status_code == 302  # same answer
    assert mail.outbox == []


def test_tokens_are_named_listed_revocable_and_expire(db):
    user = accounts.create_member("lea", PASSWORD)
    client = Client()
    client.force_login(user)
    page = client.post("/account/", {"intent": "token", "name": "stream overlay"})
    key = re.search(r'data-testid="token"><code>([^<]+)</code>', page.content.decode()).group(1)
    other = accounts.issue_token(user, "backup script")
    listing = client.get("/account/").content.decode()
    assert "stream overlay" in listing and "backup script" in listing and "never used" in listing

    assert accounts.user_for_token(key) == user
    used = ApiToken.objects.get(name="stream overlay")
    assert used.last_used_at is not None
    first_use = used.last_used_at
    accounts.user_for_token(key)  # within the hour: no second write
    used.refresh_from_db()
    assert used.last_used_at == first_use

    client.post("/account/", {"intent": "revoke", "token_id": used.pk})
    assert accounts.user_for_token(key) is None
    assert accounts.user_for_token(other) == user

    idle = timezone.now() - accounts.TOKEN_IDLE - timedelta(days=1)
    ApiToken.objects.filter(name="backup script").update(created_at=idle, last_used_at=idle)
    assert accounts.user_for_token(other) is None


def test_the_user_behind_a_token_is_the_one_the_orm_reads(db):
    """The token lookup builds its users from plain rows: every field as the ORM has it
    (on SQLite too, whose raw rows hold naive datetimes and 0/1 for booleans)."""
    user = accounts.create_member("ola", PASSWORD)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now(), is_staff=True)
    found = accounts.user_for_token(accounts.issue_token(user, "script"))
    stored = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(stored, field.attname), field.name
    assert found.is_staff is True and timezone.is_aware(found.date_joined) and timezone.is_aware(found.last_login)
    assert not found._state.adding and found._state.db == stored._state.db
    found.first_name = "Ola"
    found.save(update_fields=["first_name"])  # a saved instance, not a new one


def test_nobody_revokes_someone_elses_token(db):
    owner, stranger = accounts.create_member("max", PASSWORD), accounts.create_member("ned", PASSWORD)
    key = accounts.issue_token(owner, "mine")
    client = Client()
    client.force_login(stranger)
    client.post("/account/", {"intent": "revoke", "token_id": ApiToken.objects.get().pk})
    client.post("/account/", {"intent": "revoke", "token_id": "not-a-number"})
    assert accounts.user_for_token(key) == owner
