"""Who may call what: staff actions are Django permissions, so finer roles need no code."""

from typing import Any

from rest_framework.permissions import BasePermission


def staff_with(*perms: str) -> type[BasePermission]:
    """A permission class: an active staff user holding every one of ``perms``."""

    class StaffWith(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.is_staff and user.has_perms(perms))

    StaffWith.__name__ = f"StaffWith({', '.join(perms)})"
    return StaffWith


CanTriage = staff_with("complaints.view_complaintcase", "complaints.triage_case")
CanEscalate = staff_with("complaints.view_complaintcase", "complaints.escalate_case")
CanManageWebhooks = staff_with(
    "notifications.view_webhookendpoint",
    "notifications.add_webhookendpoint",
    "notifications.change_webhookendpoint",
)
