"""The action page's social parts (people you follow who joined), as template tags: the
page belongs to `actions`, which must not import the apps that build on it."""

from __future__ import annotations

from typing import Any

from django import template

from actions.models import Action

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def followed_pledgers(context: dict[str, Any], action: Action) -> list[dict[str, str]]:
    return selectors.followed_pledgers(action, context["request"].user)


@register.simple_tag(takes_context=True)
def followed_handles(context: dict[str, Any]) -> list[str]:
    return selectors.followed_handles(context["request"].user)
