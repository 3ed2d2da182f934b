import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def snapshot_users(apps, schema_editor):
    KeyEvent = apps.get_model("terminals", "KeyEvent")
    for event in KeyEvent.objects.select_related("user").iterator():
        if event.user_id is not None:
            event.user_public_id = event.user.public_id
            event.user_email = event.user.email
            event.save(update_fields=["user_public_id", "user_email"])


class Migration(migrations.Migration):
    dependencies = [
        ("terminals", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="keyevent",
            name="user_public_id",
            field=models.CharField(db_index=True, default="", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="keyevent",
            name="user_email",
            field=models.EmailField(default="", max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(snapshot_users, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="keyevent",
            name="user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="terminal_keys",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="recording",
            name="started_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="terminal_recordings",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
