"""Profile and ApiToken now live in `accounts`, Follow in `social`; their tables stay.

The content types (and so the permissions and admin history) follow the models."""

from django.db import migrations

MOVED = {"profile": "accounts", "apitoken": "accounts", "follow": "social"}


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label=app_label, model=model).exists():
            ContentType.objects.filter(app_label="actions", model=model).update(app_label=app_label)


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        if not ContentType.objects.filter(app_label="actions", model=model).exists():
            ContentType.objects.filter(app_label=app_label, model=model).update(app_label="actions")


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_checkin_action"),
        ("accounts", "0001_initial"),
        ("social", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Profile"),
                migrations.DeleteModel(name="ApiToken"),
                migrations.DeleteModel(name="Follow"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
