from django.apps import AppConfig


class ModerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "moderation"

    def ready(self) -> None:
        # Django's need: its part of a person's export registers once the apps are loaded.
        from . import personal  # noqa: F401, PLC0415
