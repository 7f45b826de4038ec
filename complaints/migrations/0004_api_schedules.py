"""Beat entries of the API: send due webhooks every minute, forget old idempotency keys
hourly; editable in admin."""

from django.db import migrations

TASK_NAME = "api: send due webhooks"
PURGE_NAME = "api: forget old idempotency keys"


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": "api.webhooks_send_due", "interval": every_minute},
    )
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=PURGE_NAME,
        defaults={"task": "api.idempotency_keys_purge", "interval": every_hour},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[TASK_NAME, PURGE_NAME]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_api_idempotency_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
