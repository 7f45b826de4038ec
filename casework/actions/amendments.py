"""Corrections to the sealed record, the details the documents ahead lack, and the
complainant's email about each amendment."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from complaints import services
from complaints.access import Act, check_act
from complaints.choices import CaseStatus, EventKind, OtherProceedings
from complaints.errors import InvalidInput, InvalidTransition, StateConflict
from complaints.models import CaseEvent, ComplaintCase, Order
from complaints.records import (
    AMENDABLE_FIELDS,
    CASE_AMENDABLE,
    field_label,
    record_seal,
    record_value,
    value_text,
    value_words,
)
from complaints.selectors import complainant_language
from complaints.services import money
from complaints.timeline import event_append
from escalation.needs import NEED_FIELDS

from .base import _complainant_email, case_writes

AMEND_TEXT_MAX = {"description": 10000, "demand_text": 2000}


def _amended_value(case: ComplaintCase, field: str, value: Any) -> Any:
    """``value`` for ``field`` as the model stores it, checked by the field's own rules."""
    order_field = field.removeprefix("order.")
    if field in ("demand_amount",):
        return money(value) if value not in (None, "") else None
    if field == "order.amount":
        amount = money(value)
        if amount <= 0:
            raise InvalidInput(fields={"value": [_("The amount must be more than zero.")]})
        return amount
    if field == "demand_within_hours":
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(fields={"value": [_("Give a number of hours.")]}) from exc
    if field == "other_proceedings":
        # The answer, by its code or its label in the active language ("否", "No").
        typed = str(value or "").strip()
        labels: dict[str, str] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                labels.update({str(lb).casefold(): code for code, lb in OtherProceedings.choices})
        answer = typed if typed in OtherProceedings.values else labels.get(typed.casefold(), "")
        if not answer:
            raise InvalidInput(fields={"value": [_("Answer yes, no or not sure.")]})
        return services.other_proceedings_check(answer=answer)
    if field == "order.paid_at":
        moment = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
        if moment is None:
            raise InvalidInput(fields={"value": [_("Give a date and time.")]})
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        services.moment_check(field="value", value=moment)
        return moment
    text = str(value or "").strip()
    if field in ("description", "order.order_number", "order.product_name") and not text:
        raise InvalidInput(fields={"value": [_("This cannot be empty.")]})
    if field.startswith("order."):
        limit = getattr(Order._meta.get_field(order_field), "max_length", None)
    else:
        limit = AMEND_TEXT_MAX.get(field)
    if limit and len(text) > limit:
        raise InvalidInput(
            fields={"value": [_("At most %(limit)s characters.") % {"limit": limit}]}
        )
    return text


def case_amend(
    *,
    case: ComplaintCase,
    actor: Any,
    field: str,
    value: Any,
    reason: str,
    now: datetime | None = None,
) -> CaseEvent:
    """Correct one field of the sealed record; the timeline keeps before, after and why.

    The case (or order) row takes the corrected value, which documents print and declare
    as corrected; the FILED event keeps the original. The AMENDED event carries the
    record's new hash, so ``verify_evidence`` can tell an amendment from a change behind
    the portal's back. The complainant is emailed about every amendment.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.AMEND)
    errors: dict[str, list[str]] = {}
    if field not in AMENDABLE_FIELDS:
        errors["field"] = [_("This part of the complaint cannot be corrected.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give a reason.")]
    if errors:
        raise InvalidInput(fields=errors)
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition(_("The case is closed; its record can no longer change."))
    new = _amended_value(case, field, value)
    old = record_value(case, field)
    if value_text(old) == value_text(new):
        raise StateConflict(fields={"value": [_("This is the value the record already holds.")]})
    if field in CASE_AMENDABLE:
        demand = {
            "kind": case.demand_kind,
            "amount": case.demand_amount,
            "text": case.demand_text,
            "within_hours": case.demand_within_hours,
        }
        demand[field.removeprefix("demand_")] = new
        if field.startswith("demand_"):
            try:
                services.demand_check(
                    kind=str(demand["kind"]),
                    amount=demand["amount"],
                    text=str(demand["text"] or ""),
                    within_hours=int(demand["within_hours"] or 0) or None,
                )
            except InvalidInput as exc:
                # the value is refused by the case's demand kind, not on its own
                raise StateConflict(
                    fields={"value": [m for ms in exc.fields.values() for m in ms]}
                ) from exc
    with case_writes(case):
        ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        if field.startswith("order."):
            Order.objects.filter(pk=case.order_id).update(**{field.removeprefix("order."): new})
            setattr(case.order, field.removeprefix("order."), new)
        else:
            ComplaintCase.objects.filter(pk=case.pk).update(**{field: new, "updated_at": now})
            setattr(case, field, new)
        event = event_append(
            case=case,
            kind=EventKind.AMENDED,
            actor=actor,
            payload={
                "field": field,
                "before": value_text(old),
                "after": value_text(new),
                "reason": reason.strip(),
                "by": "complainant" if actor.pk == case.complainant_id else "staff",
                **record_seal(case),
            },
            now=now,
        )
        amendment_notify(case=case, event=event, now=now)
    return event


PROFILE_DETAILS = ("name", "phone", "address")


def case_details_give(
    *, case: ComplaintCase, actor: Any, details: dict[str, str], now: datetime | None = None
) -> ComplaintCase:
    """The facts the documents ahead still lack (escalation.needs), given by the
    complainant on the case page; a blank value is not given.

    Name, phone and address go to the complainant's profile (who they are, for every case
    and document; complaints.services.profile_update checks them as the profile page
    does). Whether the dispute is before another body is part of this case's sealed
    record, so it is written as an amendment: the timeline keeps before, after, who and
    when. All or nothing: when any value is refused, each refusal names its field and
    nothing is saved.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.GIVE_DETAILS)
    unknown = sorted(set(details) - set(NEED_FIELDS))
    if unknown:
        raise InvalidInput(fields={name: [_("Unknown field.")] for name in unknown})
    given = {k: str(v).strip() for k, v in details.items() if str(v or "").strip()}
    if not given:
        raise InvalidInput(_("Fill in at least one of the questions."))
    errors: dict[str, list[str]] = {}
    with case_writes(case):
        answer = given.get("other_proceedings")
        if answer is not None and answer != case.other_proceedings:
            try:
                case_amend(
                    case=case,
                    actor=actor,
                    field="other_proceedings",
                    value=answer,
                    reason=_("Answered when the case page asked for the documents ahead."),
                    now=now,
                )
            except InvalidInput as exc:
                errors["other_proceedings"] = [m for ms in exc.fields.values() for m in ms]
        profile = {k: v for k, v in given.items() if k in PROFILE_DETAILS}
        if profile:
            try:
                services.profile_update(user=actor, **profile)
            except InvalidInput as exc:
                errors.update(exc.fields)
        if errors:
            # Raised inside the transaction: an amendment already written is undone too.
            raise InvalidInput(fields=errors)
    return case


def amendment_notify(*, case: ComplaintCase, event: CaseEvent, now: datetime) -> None:
    """Tell the complainant what was corrected, from what to what and why (once per event)."""
    payload = event.payload
    with translation.override(complainant_language(case.complainant)):
        subject = _("Case %(ref)s: your complaint was corrected") % {"ref": case.reference}
        body = _(
            "%(who)s corrected “%(field)s” in your case %(ref)s on %(at)s.\n\n"
            "Before: %(before)s\nNow: %(after)s\nReason: %(reason)s\n\n"
            "Documents use the corrected text and say that it was corrected. "
            "If this is wrong, send a message on the case page."
        ) % {
            "who": _("You") if payload["by"] == "complainant" else _("Our staff"),
            "field": field_label(payload["field"]),
            "ref": case.reference,
            "at": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
            "before": value_words(payload["field"], payload["before"]) or "—",
            "after": value_words(payload["field"], payload["after"]) or "—",
            "reason": payload["reason"],
        }
    _complainant_email(case=case, subject=subject, body=body, key=f"amended:{event.pk}", now=now)
