import django.db.models.deletion
from django.db import migrations, models


def copy_action(apps, schema_editor):
    CheckIn = apps.get_model("actions", "CheckIn")
    Pledge = apps.get_model("actions", "Pledge")
    CheckIn.objects.update(
        action_id=models.Subquery(Pledge.objects.filter(pk=models.OuterRef("pledge_id")).values("action_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("actions", "0002_checkin_cells_announcements")]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="action",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="actions.action",
            ),
        ),
        migrations.RunPython(copy_action, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="checkin",
            name="action",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="actions.action",
            ),
        ),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(fields=["action", "status", "cell"], name="checkin_action_status_cell"),
        ),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(
                condition=models.Q(("deed_done_at__isnull", False), ("status", "verified")),
                fields=["action", "-deed_done_at"],
                name="checkin_action_deeds",
            ),
        ),
    ]
