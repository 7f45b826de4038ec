"""DOMAIN.md's deadlines as the starting policies; supervisors edit them in admin."""

from django.db import migrations

H, WD = "hours", "working_days"
# (tier, urgency): (first response, update, resolution) as (amount, unit) or None
DEFAULTS = {
    ("platform", "normal"): ((24, H), (48, H), (7, WD)),
    ("platform", "urgent"): ((2, H), (48, H), (7, WD)),
    ("watchdog", "normal"): ((7, WD), None, (45, WD)),
    ("watchdog", "urgent"): ((7, WD), None, (45, WD)),
    ("payment", "normal"): ((24, H), None, (72, H)),
    ("payment", "urgent"): ((24, H), None, (72, H)),
    ("legal", "normal"): (None, (14 * 24, H), None),
    ("legal", "urgent"): (None, (7 * 24, H), None),
}


def forwards(apps, schema_editor):
    DeadlinePolicy = apps.get_model("escalation", "DeadlinePolicy")
    for (tier, urgency), clocks in DEFAULTS.items():
        fields = {}
        for name, rule in zip(("first_response", "update", "resolution"), clocks):
            fields[f"{name}_amount"] = rule[0] if rule else None
            fields[f"{name}_unit"] = rule[1] if rule else H
        DeadlinePolicy.objects.get_or_create(tier=tier, urgency=urgency, defaults=fields)


def backwards(apps, schema_editor):
    apps.get_model("escalation", "DeadlinePolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("escalation", "0003_policies_outbox")]
    operations = [migrations.RunPython(forwards, backwards)]
