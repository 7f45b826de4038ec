"""Portal forms: they check what was typed; the services decide what is allowed."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from complaints.choices import (
    COMPLAINANT_RESOLVED_OUTCOMES,
    ENDING_OUTCOMES,
    DemandKind,
    OtherProceedings,
    PaymentMethod,
    ProblemType,
    ProductKind,
    ResolutionOutcome,
    RiskSignal,
    Urgency,
)
from complaints.errors import InvalidInput
from complaints.models import Profile
from complaints.records import AMENDABLE_FIELDS, field_label
from complaints.services import (
    demand_check,
    moment_check,
    other_proceedings_check,
    phone_check,
    risk_signals_check,
    urgency_check,
)
from evidence.models import EvidenceKind

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]

PROBLEM_EXPLAINED = {
    ProblemType.NETWORK_ERROR: _(
        "The page failed or timed out while you ordered; you are unsure the order went through."
    ),
    ProblemType.LOST_ORDER_UNSYNCED: _(
        "You paid, but the platform shows no order or says it was never paid."
    ),
    ProblemType.LOST_ORDER_STUCK: _(
        "The order exists but has stayed in processing far longer than promised."
    ),
    ProblemType.LOST_ORDER_VANISHED: _(
        "The order was there after you paid and has since disappeared from your records."
    ),
    ProblemType.INVALID_CARD_KEY: _(
        "The card key or code you received does not work or was already used."
    ),
    ProblemType.NOT_DELIVERED: _(
        "You got nothing, or something other than what the order page promised."
    ),
    ProblemType.COMPLAINT_IGNORED: _(
        "You already complained to the platform and nobody answered in time."
    ),
}


class DateTimeSecondsInput(forms.DateTimeInput):
    """A datetime-local input that keeps seconds: payment times are evidence to the second."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


def _not_in_future(value: datetime | None, *, field: str) -> datetime | None:
    """The service's rule (complaints.services.moment_check), as a form field error."""
    try:
        moment_check(field=field, value=value)
    except InvalidInput as exc:
        raise forms.ValidationError(exc.fields[field], code="future") from exc
    return value


class OrderStepForm(forms.Form):
    # The bill's facts together: who was paid sits next to the payment reference.
    field_order = [
        "platform",
        "order_number",
        "product_name",
        "product_kind",
        "supplier_name",
        "amount",
        "paid_at",
        "payment_method",
        "payment_reference",
        "merchant_on_bill",
        "status_seen",
    ]

    platform = forms.CharField(
        label=_("Platform"),
        max_length=120,
        help_text=_("Start typing to pick a known platform, or type the name of a new one."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "list": "platform-options", "data-platform-search": ""}
        ),
    )
    order_number = forms.CharField(label=_("Order number"), max_length=64)
    product_name = forms.CharField(
        label=_("Product"), max_length=200, help_text=_("As the order page names it.")
    )
    product_kind = forms.ChoiceField(label=_("Product kind"), choices=ProductKind.choices)
    amount = forms.DecimalField(
        label=_("Amount paid (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        help_text=_("From the payment voucher, to the second if you can."),
        widget=DateTimeSecondsInput(),
    )
    payment_method = forms.ChoiceField(label=_("Paid with"), choices=PaymentMethod.choices)
    payment_reference = forms.CharField(
        label=_("Payment reference"),
        max_length=128,
        required=False,
        help_text=_("The transaction number on the Alipay / WeChat / bank record."),
    )
    status_seen = forms.CharField(
        label=_("What the order page showed"),
        max_length=200,
        required=False,
        help_text=_("For example: “processing”, “unpaid”, or “no such order”."),
    )
    merchant_on_bill = forms.CharField(
        label=_("Payee (收款方/商户名称) as shown on your Alipay/WeChat/bank bill"),
        max_length=200,
        required=False,
        help_text=_(
            "Copy it exactly as the bill's details show it. It is often a company other than "
            "the platform's name, and the payment channel's dispute form asks for it."
        ),
    )
    supplier_name = forms.CharField(
        label=_("Third-party supplier (if the order page names one)"),
        max_length=120,
        required=False,
        help_text=_(
            "Some platforms resell another company's cards or top-ups and name it on the "
            "order page; leave empty if it names none."
        ),
    )

    def clean_paid_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data.get("paid_at"), field="paid_at")


TIMELINE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+(.+)$")


class ProblemStepForm(forms.Form):
    problem_type = forms.ChoiceField(
        label=_("What went wrong"), choices=ProblemType.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Describe what happened"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("In your own words; it goes into the complaint letter."),
    )
    harm_noticed_at = forms.DateTimeField(
        label=_("When did you notice the problem?"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
    )
    timeline = forms.CharField(
        label=_("Timeline (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-03-01 20:15:07 …"}),
        help_text=_("One line per moment: the time to the second, then what happened."),
    )
    risk_signals = forms.MultipleChoiceField(
        label=_("For a network error: did it come only after one of these?"),
        choices=RiskSignal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick what applies; leave all unticked if none does. An error that comes only "
            "then points at the platform's risk-control rules."
        ),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "problem_type" in data and "risk_signals" in data:
            try:
                data["risk_signals"] = risk_signals_check(
                    problem_type=data["problem_type"], signals=data["risk_signals"]
                )
            except InvalidInput as exc:
                for message in exc.fields.get("risk_signals", []):
                    self.add_error("risk_signals", message)
        return data

    def clean_harm_noticed_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data.get("harm_noticed_at"), field="harm_noticed_at")

    def clean_timeline(self) -> str:
        text = self.cleaned_data.get("timeline", "")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            match = TIMELINE_LINE.match(line)
            valid = False
            if match:
                try:
                    datetime.strptime(match.group(1).replace("T", " "), "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
                    valid = True
                except ValueError:
                    valid = False
            if not valid:
                raise forms.ValidationError(
                    _(
                        "Line %(number)s: start with the time, e.g. 2026-03-01 20:15:07, "
                        "then say what happened."
                    ),
                    code="timeline",
                    params={"number": number},
                )
        return "\n".join(lines)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one picker (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(d, initial) for d in data]
        else:
            files = [single(data, initial)] if data else []
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > settings.PORTAL_UPLOAD_MAX_FILES:
            raise forms.ValidationError(
                _("At most %(count)s files at a time."),
                code="too_many",
                params={"count": settings.PORTAL_UPLOAD_MAX_FILES},
            )
        return files


class EvidenceUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the files show"), choices=EvidenceKind.choices)
    # The form metaclass moves declared fields off the class, so this does not shadow
    # BaseForm.files (the uploads) at run time; the stubs cannot know that.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Files"),
        help_text=_("Screenshots, photos, PDFs, chat exports or network logs."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
    )


class DemandStepForm(forms.Form):
    demand_kind = forms.ChoiceField(
        label=_("What do you want?"), choices=DemandKind.choices, widget=forms.RadioSelect
    )
    demand_amount = forms.DecimalField(
        label=_("Amount asked (yuan)"),
        required=False,
        min_value=Decimal("0.00"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    demand_within_hours = forms.IntegerField(
        label=_("Deadline asked (hours)"),
        min_value=1,
        max_value=720,
        initial=24,
        help_text=_("24 or 48 hours is usual for a platform."),
    )
    demand_text = forms.CharField(
        label=_("Details of your demand"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        required=False,  # unanswered (a draft saved before the question existed): normal
        widget=forms.RadioSelect,
        help_text=_("An urgent complaint asks the platform to answer within 2 hours."),
    )
    urgency_reason = forms.CharField(
        label=_("Why is it urgent?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when urgent, e.g. the money is needed today or the order may vanish."
        ),
    )
    other_proceedings = forms.ChoiceField(
        label=_(
            "Is this dispute already before a court, an arbitrator, another agency or the "
            "consumer association?"
        ),
        choices=OtherProceedings.choices,
        required=False,  # unanswered: the documents ask for it instead of asserting
        widget=forms.RadioSelect,
        help_text=_("12315 does not accept a complaint that is already before one of them."),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        data["urgency"] = data.get("urgency") or Urgency.NORMAL
        checks = (
            lambda: demand_check(
                kind=data.get("demand_kind", ""),
                amount=data.get("demand_amount"),
                text=data.get("demand_text", ""),
                within_hours=data.get("demand_within_hours"),
            ),
            lambda: urgency_check(
                urgency=data.get("urgency", ""), reason=data.get("urgency_reason", "")
            ),
            lambda: other_proceedings_check(answer=data.get("other_proceedings", "")),
        )
        for check in checks:
            try:
                check()
            except InvalidInput as exc:
                for field, messages in exc.fields.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
        return data


NAME_HELP = _("Your real name as on your ID card, family name first (e.g. 张三).")
PHONE_HELP = _("A number the regulator, the payment channel or a court can reach you on.")
ADDRESS_HELP = _(
    "12315 (市场监督管理投诉举报处理暂行办法 art. 9) and a court complaint (民事诉讼法 "
    "art. 124) need your postal address. It is shown only to the recipients of those "
    "documents."
)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["name", "phone", "address", "preferred_language"]
        labels = {"name": _("Real name"), "address": _("Postal address")}
        help_texts = {"name": NAME_HELP, "phone": PHONE_HELP, "address": ADDRESS_HELP}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
        }

    def clean_phone(self) -> str:
        """The one phone rule (complaints.services.phone_check)."""
        try:
            return phone_check(phone=self.cleaned_data.get("phone"))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.fields["phone"], code="phone") from exc


class DocumentNeedsForm(forms.Form):
    """The facts the documents ahead still lack (escalation.needs), one field for each
    missing one; casework.actions.case_details_give checks and saves them."""

    name = forms.CharField(
        label=_("Real name"), max_length=100, required=False, help_text=NAME_HELP
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("Postal address"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    other_proceedings = forms.ChoiceField(
        label=DemandStepForm.base_fields["other_proceedings"].label,
        choices=OtherProceedings.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, fields: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    del self.fields[name]

    def clean_phone(self) -> str:
        try:
            return phone_check(phone=self.cleaned_data.get("phone"))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.fields["phone"], code="phone") from exc


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExternalReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number this tier gave you"),
        max_length=120,
        help_text=_("For example the 12315 complaint number or the platform's ticket number."),
    )
    filed_at = forms.DateTimeField(
        label=_("When you filed there (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
        help_text=_("12315's deadline counts from this moment; leave empty for now."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expiry Alipay shows for the complaint (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
        help_text=_("Copy it from the complaint in the Alipay app; it becomes the deadline."),
    )

    def clean_filed_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data.get("filed_at"), field="filed_at")


class AcceptResponseForm(forms.Form):
    promised_by = forms.DateTimeField(
        label=_("The date the answer promised (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
        help_text=_(
            "If it passes and you have not marked the case resolved, the case goes back to "
            "the deadline it had. Empty: this tier's resolution deadline."
        ),
    )


class OutsideAcceptanceForm(forms.Form):
    accepted_at = forms.DateTimeField(
        label=_("When 12315 accepted the complaint"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeSecondsInput(),
    )

    def clean_accepted_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data.get("accepted_at"), field="accepted_at")


class RejectResponseForm(forms.Form):
    # Not required here: casework.actions.case_reject_response refuses a blank reason and
    # its message lands on this field, the same as the API's.
    reason = forms.CharField(
        label=_("Why the response is not enough"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResolveForm(forms.Form):
    """The complainant confirms a resolution; ending a case without one is withdrawing."""

    outcome = forms.ChoiceField(
        label=_("How was it resolved?"),
        choices=[(o.value, o.label) for o in COMPLAINANT_RESOLVED_OUTCOMES],
        initial=ResolutionOutcome.RESOLVED,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How do you want to end it?"),
        choices=[(o.value, o.label) for o in ENDING_OUTCOMES],
        initial=ResolutionOutcome.WITHDRAWN,
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_outcome(self) -> str:
        return self.cleaned_data.get("outcome") or ResolutionOutcome.WITHDRAWN

    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000)
    confirm = forms.BooleanField(
        label=_("Yes, withdraw this complaint. Its record and evidence are kept."),
    )


class ReopenForm(forms.Form):
    # Required by casework.actions.case_reopen; its message lands on this field.
    reason = forms.CharField(
        label=_("What did not hold?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def amendable_choices() -> list[tuple[str, str]]:
    return [(name, field_label(name)) for name in AMENDABLE_FIELDS]


class AmendForm(forms.Form):
    """A correction of the filed record; casework.actions.case_amend checks the value."""

    field = forms.ChoiceField(label=_("What to correct"), choices=amendable_choices)
    value = forms.CharField(
        label=_("Corrected text"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Times as 2026-03-01 20:15:07, amounts as 30.00."),
    )
    reason = forms.CharField(
        label=_("Why the correction"),
        required=False,
        max_length=2000,
        help_text=_("Shown in the timeline; the original stays in the record."),
    )
