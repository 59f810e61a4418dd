from __future__ import annotations

from django import forms

from .errors import ServiceError


def apply_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a service's refusal on the field it names, or on the whole form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.detail)
