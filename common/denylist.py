"""A configurable deny-list for the names and titles everyone sees (like a quiz app's
nickname filter): it catches the obvious at input, and moderators handle the rest.

Words come from settings.DENY_WORDS (the environment's DENY_WORDS, comma-separated,
and the lines of DENY_WORDS_FILE). Matching ignores case, accents, spacing and the usual
digit-for-letter swaps, and looks for whole words, so "Scunthorpe" stays allowed."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.conf import settings

from .errors import Invalid

SWAPS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def normalize(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]+", " ", plain.translate(SWAPS)).strip()


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({normalize(word) for word in words if normalize(word)})
    if not cleaned:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in cleaned) + r")\b")


def allowed(text: str) -> bool:
    pattern = _pattern(tuple(settings.DENY_WORDS))
    return pattern is None or pattern.search(normalize(text)) is None


def check_allowed(text: str, field: str) -> str:
    if not allowed(text):
        raise Invalid("not_allowed", "That has a word we do not allow; please choose other words.", field=field)
    return text
