from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        # Django's need: listeners and the export's part register once the apps are loaded.
        from . import listeners, personal  # noqa: F401, PLC0415
