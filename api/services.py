"""Changes the API composes from the complaints services: an order named by platform id or
name, and a filing that creates its order in the same transaction."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from casework import actions
from complaints import services
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase, Order, Platform

from .selectors import draft_bundle_get_for_user, order_list_for_user


def order_create_for(
    *, owner: Any, platform_id: int | None = None, platform_name: str = "", **fields: Any
) -> Order:
    """The platform by id when given, else found or created by name; then the order."""
    if platform_id:
        platform = Platform.objects.filter(pk=platform_id).first()
        if platform is None:
            raise InvalidInput(fields={"platform_id": [_("Unknown platform.")]})
    else:
        platform = services.platform_get_or_create(name=platform_name)
    return services.order_create(owner=owner, platform=platform, **fields)


def case_file_with_order(
    *,
    complainant: Any,
    order_id: int | None = None,
    order: dict[str, Any] | None = None,
    demand: dict[str, Any],
    bundle_id: int | None = None,
    now: datetime | None = None,
    **case_fields: Any,
) -> ComplaintCase:
    """File a case for one of the complainant's orders, or for a new one given inline.

    All or nothing: a refused complaint leaves no orphan order behind.
    """
    with transaction.atomic():
        the_order: Order | None = None
        if order is not None:
            the_order = order_create_for(owner=complainant, **order)
        elif order_id is not None:
            the_order = order_list_for_user(complainant).filter(pk=order_id).first()
        if the_order is None:
            raise InvalidInput(fields={"order_id": [_("No such order of yours.")]})
        bundle = None
        if bundle_id is not None:
            bundle = draft_bundle_get_for_user(complainant, bundle_pk=bundle_id)
        return actions.case_file(
            complainant=complainant,
            order=the_order,
            bundle=bundle,
            demand_kind=demand["kind"],
            demand_text=demand.get("text", ""),
            demand_amount=demand.get("amount"),
            demand_within_hours=demand.get("within_hours", 24),
            now=now,
            **case_fields,
        )
