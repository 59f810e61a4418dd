from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self) -> None:
        # Django's need: the domain's own listeners (phase flips, verification) connect
        # when the services load, which must not happen before the apps are ready.
        from . import services  # noqa: F401, PLC0415
