"""After filing: my cases, the case page and what the complainant can do there."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework import actions
from complaints.choices import OPEN_STATUSES, CaseStatus
from complaints.errors import DomainError, NotFound
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from escalation.documents import UnknownForm, document_render, tier_documents
from escalation.needs import NeedAhead, document_needs_ahead
from escalation.selectors import case_limitation
from evidence.attribution import case_attribution_for
from evidence.selectors import checklist_for_case
from portal.forms import (
    AcceptResponseForm,
    AmendForm,
    DocumentNeedsForm,
    EvidenceUploadForm,
    ExternalReferenceForm,
    MessageForm,
    OutsideAcceptanceForm,
    RejectResponseForm,
    ReopenForm,
    ResolveForm,
    WithdrawForm,
)
from portal.pages import case_page, case_rows, my_case_get

from .common import domain_message, item_urls, page_language, wants_json


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    rows = case_rows(request.user, now=timezone.now())
    return render(request, "portal/case_list.html", {"rows": rows})


def _case_or_404(request: HttpRequest, reference: str) -> ComplaintCase:
    try:
        return my_case_get(request.user, reference=reference)
    except NotFound as exc:
        raise Http404 from exc


CASE_FORMS: dict[str, type] = {
    "accept": AcceptResponseForm,
    "acceptance": OutsideAcceptanceForm,
    "evidence": EvidenceUploadForm,
    "message": MessageForm,
    "reference": ExternalReferenceForm,
    "reject": RejectResponseForm,
    "resolve": ResolveForm,
    "reopen": ReopenForm,
    "amend": AmendForm,
}


def _render_case(
    request: HttpRequest, reference: str, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    try:
        page = case_page(request.user, reference=reference, now=now)
    except NotFound as exc:
        raise Http404 from exc
    case = page.row.case
    # Every form of the current tier, each with its own heading, copy and download.
    documents = tier_documents(case=case, tier=case.tier, language=page_language())
    forms: dict[str, Any] = {name: form_class() for name, form_class in CASE_FORMS.items()}
    needs = document_needs_ahead(case)
    forms["details"] = DocumentNeedsForm(fields=[n.field for n in needs])
    forms.update(bound or {})
    context = {
        "needs": _need_rows(needs, forms["details"]),
        "page": page,
        "row": page.row,
        "checklist": checklist_for_case(case),
        "attribution": case_attribution_for(case),
        "limitation": case_limitation(case, now=now),
        "case": case,
        "documents": documents,
        "items": [{"item": i, **item_urls(i)} for i in page.items],
        "forms": forms,
        "is_open": case.status in OPEN_STATUSES,
        "may_reopen": case.status == CaseStatus.RESOLVED,
        "may_amend": case.status != CaseStatus.CLOSED,
    }
    return render(request, "portal/case_detail.html", context, status=status)


def _need_rows(needs: list[NeedAhead], form: DocumentNeedsForm) -> list[dict[str, Any]]:
    """Each missing fact with its form field, why it is asked and the tier that asks; the
    reason is shown once, after the last of the facts asked for the same reason."""
    asked = [n for n in needs if n.field in form.fields]
    return [
        {
            "field": form[n.field],
            "name": n.field,
            "why": n.why,
            "tier": Tier(n.tier).label,
            "show_why": i + 1 == len(asked) or str(asked[i + 1].why) != str(n.why),
        }
        for i, n in enumerate(asked)
    ]


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_case(request, reference)


def _case_action(
    request: HttpRequest,
    reference: str,
    name: str,
    act: Callable[[ComplaintCase, dict[str, Any]], None],
    done: str,
) -> HttpResponse:
    """Run one case action from a posted form; on bad input re-show the page, input kept."""
    case = _case_or_404(request, reference)
    form = CASE_FORMS[name](request.POST, request.FILES)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
            messages.error(request, domain_message(exc))
        else:
            if wants_json(request):
                return JsonResponse({"errors": []})
            messages.success(request, done)
            return redirect("portal:case_detail", reference=case.reference)
    if wants_json(request):
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse({"errors": errors}, status=400)
    return _render_case(request, reference, bound={name: form}, status=400)


@login_required
@require_POST
def case_add_evidence(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_evidence_add(
            case=case,
            actor=request.user,
            files=data["files"],
            kind=data["kind"],
            occurred_at=data.get("occurred_at"),
        )

    return _case_action(request, reference, "evidence", act, _("Evidence added and sealed."))


@login_required
@require_POST
def case_send_message(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_message(case=case, actor=request.user, text=data["text"], now=timezone.now())

    return _case_action(request, reference, "message", act, _("Message sent."))


@login_required
@require_POST
def case_record_reference(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_record_external_reference(
            case=case,
            actor=request.user,
            reference=data["reference"],
            filed_at=data.get("filed_at"),
            expires_at=data.get("expires_at"),
            now=timezone.now(),
        )

    return _case_action(request, reference, "reference", act, _("Reference number recorded."))


@login_required
@require_POST
def case_record_acceptance(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_record_acceptance(
            case=case, actor=request.user, accepted_at=data["accepted_at"], now=timezone.now()
        )

    return _case_action(
        request,
        reference,
        "acceptance",
        act,
        _("Acceptance recorded: 12315's mediation clock runs."),
    )


@login_required
@require_POST
def case_accept_response(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_accept_response(
            case=case, actor=request.user, promised_by=data.get("promised_by"), now=timezone.now()
        )

    return _case_action(
        request,
        reference,
        "accept",
        act,
        _("Response accepted. Mark the case resolved when it is."),
    )


@login_required
@require_POST
def case_reject_response(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_reject_response(
            case=case, actor=request.user, reason=data["reason"], now=timezone.now()
        )

    return _case_action(
        request, reference, "reject", act, _("Response rejected: the clock keeps running.")
    )


@login_required
@require_POST
def case_mark_resolved(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_resolve(
            case=case, outcome=data["outcome"], actor=request.user, note=data["note"]
        )

    return _case_action(request, reference, "resolve", act, _("The case is marked resolved."))


@login_required
@require_POST
def case_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_reopen(case=case, actor=request.user, reason=data["reason"])

    return _case_action(
        request, reference, "reopen", act, _("The case is reopened: the tier's clock runs again.")
    )


@login_required
@require_POST
def case_amend(request: HttpRequest, reference: str) -> HttpResponse:
    def act(case: ComplaintCase, data: dict[str, Any]) -> None:
        actions.case_amend(
            case=case,
            actor=request.user,
            field=data["field"],
            value=data["value"],
            reason=data["reason"],
        )

    return _case_action(
        request,
        reference,
        "amend",
        act,
        _("Correction recorded; the original stays in the record."),
    )


@login_required
@require_POST
def case_give_details(request: HttpRequest, reference: str) -> HttpResponse:
    """The facts the documents ahead lack: the profile's name, phone and address, and
    whether the dispute is before another body (an amendment of the case's record)."""
    case = _case_or_404(request, reference)
    needs = document_needs_ahead(case)
    if not needs:
        return redirect("portal:case_detail", reference=case.reference)
    form = DocumentNeedsForm(request.POST, fields=[n.field for n in needs])
    if form.is_valid():
        try:
            actions.case_details_give(case=case, actor=request.user, details=form.cleaned_data)
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
            if not exc.fields:
                form.add_error(None, domain_message(exc))
        else:
            messages.success(request, _("Saved: the documents use what you gave."))
            return redirect("portal:case_detail", reference=case.reference)
    return _render_case(request, reference, bound={"details": form}, status=400)


@login_required
def case_withdraw_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.case_withdraw(
                case=case,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                outcome=form.cleaned_data["outcome"],
            )
        except DomainError as exc:
            messages.error(request, domain_message(exc))
        else:
            messages.success(request, _("The complaint is withdrawn."))
        return redirect("portal:case_detail", reference=case.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/case_withdraw.html", {"case": case, "form": form}, status=status)


@login_required
def case_document(request: HttpRequest, reference: str) -> HttpResponse:
    """One filing document as a text file to keep: ``?form=`` (its slug; the current tier's
    first form by default), optionally of ``?tier=``."""
    case = _case_or_404(request, reference)
    tier = request.GET.get("tier") or None
    if tier is not None and tier not in Tier.values:
        raise Http404
    try:
        document = document_render(
            case=case,
            tier=tier,
            language=page_language(),
            form=request.GET.get("form") or None,
        )
    except UnknownForm as exc:
        raise Http404 from exc
    response = HttpResponse(document.body, content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
