"""The filing wizard: five steps, saved at every step; submitting files the case."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from complaints.choices import Urgency
from complaints.errors import DomainError
from complaints.models import ComplaintCase, Order, Platform
from complaints.tiers import Tier
from escalation.documents import document_render
from evidence.models import EvidenceItem
from evidence.selectors import checklist_for_bundle
from evidence.services import evidence_add, evidence_discard_draft_item
from portal.drafts import (
    FIELD_STEP,
    LAST_STEP,
    STEPS,
    compose_description,
    draft_current,
    draft_save_step,
    draft_submit,
    draft_urgency_suggestion,
)
from portal.forms import (
    PROBLEM_EXPLAINED,
    DemandStepForm,
    EvidenceUploadForm,
    OrderStepForm,
    ProblemStepForm,
)

from .common import domain_message, item_urls, page_language, signed_in_user, wants_json

STEP_TITLES = {
    1: gettext_lazy("The order"),
    2: gettext_lazy("What happened"),
    3: gettext_lazy("Evidence"),
    4: gettext_lazy("Your demand"),
    5: gettext_lazy("Review and submit"),
}
STEP_FORMS: dict[int, type[forms.Form]] = {1: OrderStepForm, 2: ProblemStepForm, 4: DemandStepForm}


def _step_url(step: int) -> str:
    return reverse("portal:file_step", kwargs={"step": step})


def _answers(post: Any, form_class: type[forms.Form]) -> dict[str, Any]:
    """What was typed, field by field, as typed: kept even when it does not validate.
    Checkbox lists keep every ticked value."""
    return {
        name: post.getlist(name)
        if isinstance(field, forms.MultipleChoiceField)
        else post.get(name, "")
        for name, field in form_class.base_fields.items()
    }


def _wizard_context(draft: Any, step: int, **extra: Any) -> dict[str, Any]:
    return {
        "draft": draft,
        "step": step,
        "steps": [(n, STEP_TITLES[n], n <= draft.step) for n in STEPS],
        "step_title": STEP_TITLES[step],
        **extra,
    }


@login_required
def file_start(request: HttpRequest) -> HttpResponse:
    """Resume the complainant's draft where they stopped (or start one)."""
    draft = draft_current(owner=request.user)
    return redirect(_step_url(draft.step))


@login_required
def file_step(request: HttpRequest, step: int) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    draft = draft_current(owner=request.user)
    if step > draft.step:
        return redirect(_step_url(draft.step))
    if step == 3:
        return _evidence_step(request, draft)
    if step == LAST_STEP:
        return _review_step(request, draft)
    form_class = STEP_FORMS[step]
    if request.method == "POST":
        answers = _answers(request.POST, form_class)
        if "autosave" in request.POST:
            # Typed but not yet sent on: kept so a reload or a closed tab loses nothing.
            draft_save_step(draft=draft, step=step, answers=answers)
            return HttpResponse(status=204)
        if "back" in request.POST:
            draft_save_step(draft=draft, step=step, answers=answers)
            return redirect(_step_url(step - 1))
        form = form_class(data=answers)
        if form.is_valid():
            draft_save_step(draft=draft, step=step, answers=answers, reached=step + 1)
            return redirect(_step_url(step + 1))
        draft_save_step(draft=draft, step=step, answers=answers)
        status = 400
    else:
        # Saved answers come back as typed; they are checked (errors shown) only when the
        # step was sent on or the review page sent the complainant back to it.
        saved = draft.data.get(str(step))
        checked = bool(saved) and request.GET.get("check") == "1"
        initial = dict(saved or {})
        suggestion = draft_urgency_suggestion(draft) if step == 4 else ""
        if suggestion and not initial.get("urgency"):
            # Suggested, never imposed: both can be changed before sending the step on.
            initial["urgency"] = Urgency.URGENT
            initial["urgency_reason"] = initial.get("urgency_reason") or suggestion
        form = form_class(data=saved) if checked else form_class(initial=initial or None)
        status = 200
    context = _wizard_context(draft, step, form=form)
    if step == 2:
        context["explained"] = PROBLEM_EXPLAINED
    if step == 4:
        context["urgency_suggested"] = bool(draft_urgency_suggestion(draft))
    return render(request, f"portal/file_step{step}.html", context, status=status)


def _draft_items(draft: Any) -> list[dict[str, Any]]:
    return [
        {"item": item, **item_urls(item)}
        for item in EvidenceItem.objects.filter(bundle=draft.bundle).order_by("uploaded_at", "pk")
    ]


def _amount_typed(value: Any) -> Decimal | None:
    """The amount step 1 holds, or None while it is missing or not a number yet."""
    try:
        return Decimal(str(value).replace(",", "").strip()) if value else None
    except InvalidOperation:
        return None


def _evidence_step(request: HttpRequest, draft: Any) -> HttpResponse:
    form = EvidenceUploadForm()
    status = 200
    if request.method == "POST":
        if "back" in request.POST:
            return redirect(_step_url(2))
        if "next" in request.POST:
            draft_save_step(draft=draft, step=3, answers={}, reached=4)
            return redirect(_step_url(4))
        form = EvidenceUploadForm(request.POST, request.FILES)
        added, errors = [], []
        if form.is_valid():
            for upload in form.cleaned_data["files"]:
                try:
                    item = evidence_add(
                        bundle=draft.bundle,
                        actor=request.user,
                        file=upload,
                        kind=form.cleaned_data["kind"],
                        occurred_at=form.cleaned_data.get("occurred_at"),
                    )
                except DomainError as exc:
                    errors.append(f"{upload.name}: {domain_message(exc)}")
                else:
                    added.append(item)
        else:
            errors.extend(str(e) for field_errors in form.errors.values() for e in field_errors)
        if wants_json(request):
            return JsonResponse(
                {
                    "added": [{"name": i.original_name, **item_urls(i)} for i in added],
                    "errors": errors,
                },
                status=400 if errors and not added else 200,
            )
        if not errors:
            messages.success(
                request, _("%(count)s file(s) added to your evidence.") % {"count": len(added)}
            )
            return redirect(_step_url(3))
        for error in errors:
            messages.error(request, error)
        status = 400
    items = _draft_items(draft)
    checklist = checklist_for_bundle(
        draft.bundle,
        problem_type=draft.data.get("2", {}).get("problem_type", ""),
        amount=_amount_typed(draft.data.get("1", {}).get("amount")),
    )
    context = _wizard_context(draft, 3, form=form, items=items, checklist=checklist)
    return render(request, "portal/file_step3.html", context, status=status)


@login_required
@require_POST
def file_evidence_remove(request: HttpRequest, item_pk: int) -> HttpResponse:
    draft = draft_current(owner=request.user)
    item = EvidenceItem.objects.filter(pk=item_pk, bundle=draft.bundle).first()
    if item is None:
        raise Http404
    try:
        evidence_discard_draft_item(item=item, actor=request.user)
    except DomainError as exc:
        messages.error(request, domain_message(exc))
    return redirect(_step_url(3))


def _cleaned_steps(draft: Any) -> tuple[dict[int, dict[str, Any]], int | None]:
    """The cleaned answers of the form steps, or the first step that still needs work."""
    cleaned: dict[int, dict[str, Any]] = {}
    for step, form_class in STEP_FORMS.items():
        form = form_class(data=draft.data.get(str(step)) or {})
        if not form.is_valid():
            return cleaned, step
        cleaned[step] = form.cleaned_data
    return cleaned, None


def _preview_case(draft: Any, cleaned: dict[int, dict[str, Any]]) -> ComplaintCase:
    """The case as it will be filed, unsaved, so the letter shows exactly what is sent."""
    order_data, problem, demand = cleaned[1], cleaned[2], cleaned[4]
    platform = Platform.objects.filter(name__iexact=order_data["platform"].strip()).first()
    platform = platform or Platform(name=" ".join(order_data["platform"].split()))
    order = Order(
        owner=draft.owner,
        platform=platform,
        order_number=order_data["order_number"].strip(),
        product_name=order_data["product_name"].strip(),
        product_kind=order_data["product_kind"],
        amount=order_data["amount"],
        paid_at=order_data.get("paid_at"),
        payment_method=order_data["payment_method"],
        payment_reference=order_data.get("payment_reference", ""),
        status_seen=order_data.get("status_seen", ""),
        merchant_on_bill=order_data.get("merchant_on_bill", ""),
        supplier_name=order_data.get("supplier_name", ""),
    )
    return ComplaintCase(
        reference=_("(given when you submit)"),
        complainant=draft.owner,
        order=order,
        problem_type=problem["problem_type"],
        description=compose_description(
            description=problem["description"],
            timeline=problem.get("timeline", ""),
            timeline_heading=_("Timeline:"),
        ),
        demand_kind=demand["demand_kind"],
        demand_text=demand.get("demand_text", ""),
        demand_amount=demand.get("demand_amount"),
        demand_within_hours=demand["demand_within_hours"],
        urgency=demand.get("urgency") or Urgency.NORMAL,
        urgency_reason=demand.get("urgency_reason", ""),
        risk_signals=problem.get("risk_signals") or [],
        other_proceedings=demand.get("other_proceedings") or "",
        tier=Tier.PLATFORM,
    )


def _review_step(request: HttpRequest, draft: Any) -> HttpResponse:
    cleaned, needs_work = _cleaned_steps(draft)
    if needs_work is not None:
        messages.error(request, _("Please finish this step first."))
        return redirect(_step_url(needs_work) + "?check=1")
    if request.method == "POST":
        if "back" in request.POST:
            return redirect(_step_url(4))
        try:
            case = draft_submit(
                draft=draft,
                actor=request.user,
                order=cleaned[1],
                problem=cleaned[2],
                demand=cleaned[4],
                timeline_heading=_("Timeline:"),
            )
        except DomainError as exc:
            step = next((FIELD_STEP[f] for f in exc.fields if f in FIELD_STEP), LAST_STEP)
            messages.error(request, domain_message(exc))
            return redirect(_step_url(step) + ("?check=1" if step != LAST_STEP else ""))
        done = _("Your complaint %(reference)s is filed. The platform's clock is running.")
        email = signed_in_user(request).email
        if email:
            done = _(
                "Your complaint %(reference)s is filed. The platform's clock is running. "
                "The receipt and the next step are on their way to %(email)s."
            )
        messages.success(request, done % {"reference": case.reference, "email": email})
        return redirect("portal:case_detail", reference=case.reference)
    document = document_render(
        case=_preview_case(draft, cleaned), tier=Tier.PLATFORM, language=page_language()
    )
    items = _draft_items(draft)
    context = _wizard_context(draft, LAST_STEP, document=document, items=items, cleaned=cleaned)
    return render(request, "portal/file_step5.html", context)


@login_required
@require_GET
def platform_search(request: HttpRequest) -> JsonResponse:
    """Search-as-you-type for step 1: known platforms whose name contains the query."""
    query = " ".join(request.GET.get("q", "").split())[:60]
    names: list[str] = []
    if query:
        names = list(
            Platform.objects.filter(name__icontains=query)
            .order_by("name")
            .values_list("name", flat=True)[:10]
        )
    return JsonResponse({"results": [{"name": name} for name in names]})
