from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        # Django's need: listeners connect once the apps (and their models) are loaded.
        from . import listeners  # noqa: F401, PLC0415
