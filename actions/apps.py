from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self) -> None:
        # Django's need: the domain's own listeners (phase flips, verification) and its
        # part of a person's export and deletion connect once the apps are ready.
        from . import personal, services  # noqa: F401, PLC0415
