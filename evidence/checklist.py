"""Which evidence each kind of complaint needs, and why (DOMAIN.md, "What makes a complaint
effective"). Shown to the complainant while filing and to staff while triaging."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.choices import ProblemType

from .models import EvidenceKind

REQUIRED = "required"
RECOMMENDED = "recommended"
# Above this amount a statement from the bank or payment provider is worth asking for.
STATEMENT_THRESHOLD = Decimal("500.00")

WHY: dict[str, Promise] = {
    EvidenceKind.PAYMENT_VOUCHER: _(
        "Proves you paid: order number, amount, merchant and time to the minute."
    ),
    EvidenceKind.ORDER_RECORD: _(
        "Shows what the platform recorded about the order: status, product and time."
    ),
    EvidenceKind.ERROR_SCREENSHOT: _("Shows the error exactly as the platform displayed it."),
    EvidenceKind.CHAT_LOG: _(
        "Proves you asked the platform for help and what it answered, with timestamps."
    ),
    EvidenceKind.NETWORK_LOG: _(
        "A browser network log shows whether the platform's server failed (5xx, timeouts)."
    ),
    EvidenceKind.NETWORK_DIAGNOSTICS: _(
        "Ping or traceroute figures show your own connection was working."
    ),
    EvidenceKind.SCREEN_RECORDING: _("A recording of the failing steps is hard to dispute."),
    EvidenceKind.BANK_STATEMENT: _(
        "For amounts over 500 yuan, a statement from the bank or payment provider is expected."
    ),
}
# Where a kind means something particular for a problem type.
WHY_FOR: dict[tuple[str, str], Promise] = {
    (ProblemType.LOST_ORDER_VANISHED, EvidenceKind.ORDER_RECORD): _(
        "A screenshot of the empty order list or the “not activated” page proves the order "
        "vanished."
    ),
    (ProblemType.INVALID_CARD_KEY, EvidenceKind.ERROR_SCREENSHOT): _(
        "Shows the card key being refused on activation, or reported as already used."
    ),
    (ProblemType.NOT_DELIVERED, EvidenceKind.ORDER_RECORD): _(
        "Shows what was promised in the description and that nothing, or something else, came."
    ),
    (ProblemType.COMPLAINT_IGNORED, EvidenceKind.CHAT_LOG): _(
        "Proves you complained and got only a template reply or silence."
    ),
}

LEVEL_LABELS = {REQUIRED: _("required"), RECOMMENDED: _("recommended")}

_R, _C = REQUIRED, RECOMMENDED
K = EvidenceKind
RULES: dict[str, list[tuple[str, str]]] = {
    ProblemType.NETWORK_ERROR: [
        (K.ERROR_SCREENSHOT, _R),
        (K.PAYMENT_VOUCHER, _C),
        (K.NETWORK_LOG, _C),
        (K.NETWORK_DIAGNOSTICS, _C),
        (K.SCREEN_RECORDING, _C),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.LOST_ORDER_UNSYNCED: [
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _R),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.LOST_ORDER_STUCK: [
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _R),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.LOST_ORDER_VANISHED: [
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _R),
        (K.SCREEN_RECORDING, _C),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.INVALID_CARD_KEY: [
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _R),
        (K.ERROR_SCREENSHOT, _R),
        (K.SCREEN_RECORDING, _C),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.NOT_DELIVERED: [
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _R),
        (K.CHAT_LOG, _C),
    ],
    ProblemType.COMPLAINT_IGNORED: [
        (K.CHAT_LOG, _R),
        (K.PAYMENT_VOUCHER, _R),
        (K.ORDER_RECORD, _C),
    ],
}


@dataclass(frozen=True)
class ChecklistEntry:
    kind: str
    label: str
    level: str  # "required" or "recommended"
    present: bool
    why: str

    @property
    def missing(self) -> bool:
        return not self.present


def checklist_for(
    *, problem_type: str, amount: Decimal | None, kinds_present: Iterable[str]
) -> list[ChecklistEntry]:
    """The evidence a complaint of ``problem_type`` needs, each marked present or missing."""
    present = set(kinds_present)
    rules = list(RULES.get(problem_type, [(K.PAYMENT_VOUCHER, _R)]))
    if amount is not None and Decimal(amount) > STATEMENT_THRESHOLD:
        rules.append((K.BANK_STATEMENT, _C))
    return [
        ChecklistEntry(
            kind=str(kind),
            label=str(K(kind).label),
            level=level,
            present=kind in present,
            why=str(WHY_FOR.get((problem_type, kind), WHY[kind])),
        )
        for kind, level in rules
    ]
