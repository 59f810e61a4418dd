from django.apps import AppConfig


class SocialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "social"

    def ready(self) -> None:
        # Django's need: listeners connect once the apps (and their models) are loaded.
        from . import notify, personal  # noqa: F401, PLC0415
