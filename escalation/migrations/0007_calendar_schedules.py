"""Beat entries of the working-day calendar: recheck provisional deadlines and remind
supervisors of next year's notice, daily; editable in admin afterwards."""

from django.db import migrations

RECHECK_NAME = "escalation: recheck provisional deadlines"
REMINDER_NAME = "escalation: remind supervisors of next year's holiday notice"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    at_three, _ = CrontabSchedule.objects.get_or_create(
        minute="10", hour="3", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    at_nine, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="9", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=RECHECK_NAME,
        defaults={"task": "escalation.calendar_recheck", "crontab": at_three},
    )
    PeriodicTask.objects.get_or_create(
        name=REMINDER_NAME,
        defaults={"task": "casework.calendar_reminder", "crontab": at_nine},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[RECHECK_NAME, REMINDER_NAME]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0006_working_day_calendar"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
