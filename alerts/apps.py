from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"

    def ready(self) -> None:
        # Django's need: listeners and the export's part register once the apps are loaded.
        from . import dispatch, personal, triggers  # noqa: F401, PLC0415
