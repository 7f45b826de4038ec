"""Triagers see collective cases and their timelines (they propose them; supervisors,
who hold every permission of the complaints app, confirm them)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRIAGER = ["view_collectivecase", "view_collectiveevent"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="complaints", codename__in=TRIAGER)
    triager, _ = Group.objects.get_or_create(name="triager")
    triager.permissions.add(*perms)
    # The supervisor group was given every complaints permission that existed then.
    supervisor, _ = Group.objects.get_or_create(name="supervisor")
    supervisor.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints",
            content_type__model__in=["collectivecase", "collectiveevent"],
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="complaints",
        content_type__model__in=["collectivecase", "collectiveevent"],
    )
    for group in Group.objects.filter(name__in=["triager", "supervisor"]):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_triage_indexes"),
        ("complaints", "0018_collectiveevent_append_only_trigger"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
