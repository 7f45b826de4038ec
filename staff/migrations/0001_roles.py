"""The two staff roles, as groups: triager and supervisor (see complaints.access.ROLES).

The permission lists are frozen here as they were when the roles were introduced; the
same lists live in ``complaints.access.ROLES`` for ``roles_ensure`` (demo data, tests).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRIAGER = [
    "complaints.view_complaintcase",
    "complaints.change_complaintcase",
    "complaints.triage_case",
    "complaints.escalate_case",
    "complaints.view_caseevent",
    "complaints.view_order",
    "complaints.view_platform",
    "complaints.view_merchant",
    "evidence.view_evidencebundle",
    "evidence.view_evidenceitem",
    "escalation.view_tierstage",
    "escalation.view_deadlinepolicy",
    "escalation.view_holidaynotice",
    "escalation.view_holidaynoticeday",
]
SUPERVISOR_APPS = ["complaints", "evidence", "escalation", "notifications"]


def roles_create(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found += Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        return found

    triager, _ = Group.objects.get_or_create(name="triager")
    triager.permissions.add(*perms(TRIAGER))
    supervisor, _ = Group.objects.get_or_create(name="supervisor")
    supervisor.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=SUPERVISOR_APPS),
        *perms(["portal.view_filingdraft"]),
    )


def roles_drop(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["triager", "supervisor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("complaints", "0013_supervise_case"),
        ("evidence", "0004_redacted_copy_for_har"),
        ("escalation", "0007_calendar_schedules"),
        ("notifications", "0002_webhook_schedule"),
        ("portal", "0001_initial"),
    ]

    operations = [migrations.RunPython(roles_create, roles_drop)]
