from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from . import services


class SignupForm(UserCreationForm):
    display_name = forms.CharField(
        max_length=services.NAME_MAX, required=False, help_text="How others see you. Optional."
    )
    email = forms.EmailField(
        required=False, help_text="Optional: for a forgotten password. We send a link to confirm it."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class SharingForm(forms.Form):
    display_name = forms.CharField(max_length=services.NAME_MAX, label="Your name, as others see it")
    named_in_cascade = forms.BooleanField(
        required=False,
        label="Show my name in who-brought-whom drawings",
        help_text="On dashboards and results pages. Off: you appear there as a dot with no name.",
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=60, required=False, help_text="What it is for, e.g. “stream overlay”.")


class UpgradeForm(forms.Form):
    username = forms.SlugField(max_length=40, help_text="Letters, digits, - and _.")
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if services.name_taken(username, besides=self.user):
            raise forms.ValidationError("That name is taken; pick another.")
        return username

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
