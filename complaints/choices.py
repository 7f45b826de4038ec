"""The domain's vocabularies (DOMAIN.md), each label in Chinese and English via i18n."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    CARD_KEY = "card_key", _("Card key")
    MEMBERSHIP = "membership", _("SVIP / membership")
    TOP_UP = "top_up", _("Top-up")
    GAME_ITEM = "game_item", _("Game item")
    SOFTWARE_LICENCE = "software_licence", _("Software licence")
    OTHER = "other", _("Other")


class PaymentMethod(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    BANK_CARD = "bank_card", _("Bank card")
    PLATFORM_BALANCE = "platform_balance", _("Platform balance")
    OTHER = "other", _("Other")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")


class ProblemType(models.TextChoices):
    NETWORK_ERROR = "network_error", _("Network error when ordering")
    LOST_ORDER_UNSYNCED = "lost_order_unsynced", _("Lost order: paid, but not synced")
    LOST_ORDER_STUCK = "lost_order_stuck", _("Lost order: stuck in processing")
    LOST_ORDER_VANISHED = "lost_order_vanished", _("Lost order: order record vanished")
    INVALID_CARD_KEY = "invalid_card_key", _("Invalid or already used card key")
    NOT_DELIVERED = "not_delivered", _("Not delivered or not as described")
    COMPLAINT_IGNORED = "complaint_ignored", _("Complaint ignored")


LOST_ORDER_TYPES = frozenset(
    {
        ProblemType.LOST_ORDER_UNSYNCED,
        ProblemType.LOST_ORDER_STUCK,
        ProblemType.LOST_ORDER_VANISHED,
    }
)


class DemandKind(models.TextChoices):
    REISSUE = "reissue", _("Reissue / deliver the goods")
    REFUND = "refund", _("Full refund to the original payment account")
    REFUND_COMPENSATION = "refund_compensation", _("Full refund plus compensation")
    RESUBMIT = "resubmit", _("Re-submit the order")
    EXPLANATION = "explanation", _("A written explanation of the order anomaly")
    OTHER = "other", _("Other")


class DispatchKind(models.TextChoices):
    """Which kind of work a case is for smart dispatch (casework/dispatch.py)."""

    LOST_ORDER = "lost_order", _("Lost order")
    CARD_KEY = "card_key", _("Card key")
    NETWORK_ERROR = "network_error", _("Network error")
    DELIVERY = "delivery", _("Delivery")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class RiskSignal(models.TextChoices):
    """When a network error came only after one of these, risk-control rules are the likely
    cause rather than a broken server (DOMAIN.md, attribution, seed 000)."""

    COUPON = "coupon", _("It came after I used a coupon")
    MANY_ORDERS = "many_orders", _("It came after many orders in a short time")
    NEW_IP = "new_ip", _("It came from a new IP address or device")


class OtherProceedings(models.TextChoices):
    """Whether the dispute is already before a court, an arbitrator, another agency or the
    consumer association: 12315 does not accept it then (市场监督管理投诉举报处理暂行办法
    art. 15). Unanswered is the empty string, and documents ask instead of asserting."""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Not sure")


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_COMPLAINANT = "awaiting_complainant", _("Waiting for the complainant")
    RESPONDED = "responded", _("Response received")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_COMPLAINANT,
        CaseStatus.RESPONDED,
    }
)


class ResolutionOutcome(models.TextChoices):
    """How a case ended, in words that say what happened (never "resolved" when it was not)."""

    RESOLVED = "resolved", _("Resolved: the demand was met")
    REFUND_RECEIVED = "refund_received", _("Resolved: refund received")
    REISSUED = "reissued", _("Resolved: goods reissued or delivered")
    PARTIAL = "partial", _("Partly resolved, accepted by the complainant")
    RESOLVED_BY_STAFF = (
        "resolved_by_staff",
        _("Treated as resolved by staff: fulfilled, and the complainant did not reply"),
    )
    WITHDRAWN = "withdrawn", _("Withdrawn by the complainant")
    GAVE_UP = "gave_up", _("Given up by the complainant: not resolved")
    NONE = "none", _("Not resolved, closed at the complainant's request")


# What the complainant confirms on "Mark resolved": the demand was (at least partly) met.
COMPLAINANT_RESOLVED_OUTCOMES = (
    ResolutionOutcome.RESOLVED,
    ResolutionOutcome.REFUND_RECEIVED,
    ResolutionOutcome.REISSUED,
    ResolutionOutcome.PARTIAL,
)
# What ending a case without a resolution is called: each its own outcome.
ENDING_OUTCOMES = (
    ResolutionOutcome.WITHDRAWN,
    ResolutionOutcome.GAVE_UP,
    ResolutionOutcome.NONE,
)


class EventKind(models.TextChoices):
    FILED = "filed", _("Complaint filed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned to staff")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_REQUESTED = "evidence_requested", _("More evidence requested")
    MESSAGE = "message", _("Message")
    RESPONSE_RECORDED = "response_recorded", _("Response recorded")
    RESPONSE_ACCEPTED = "response_accepted", _("Response accepted")
    RESPONSE_REJECTED = "response_rejected", _("Response rejected")
    EXTERNAL_REFERENCE = "external_reference", _("External reference recorded")
    DEADLINE_WARNING = "deadline_warning", _("Deadline warning")
    DEADLINES_RECALCULATED = "deadlines_recalculated", _("Deadlines recalculated")
    ESCALATED = "escalated", _("Escalated")
    LADDER_EXHAUSTED = "ladder_exhausted", _("Last tier overdue: needs staff")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")
    AMENDED = "amended", _("Record corrected")
    REOPENED = "reopened", _("Reopened")
    SECRETS_REVEALED = "secrets_revealed", _("Secrets shown unmasked to staff")
    FULFILMENT_MISSED = "fulfilment_missed", _("Promised date passed: back on the ladder")
    CLOCKS_RESUMED = "clocks_resumed", _("Clocks running again")
    FILING_REMINDER = "filing_reminder", _("Reminder: file with the outside body")
    OUTSIDE_ACCEPTED = "outside_accepted", _("Accepted by the outside body")
    # A case's membership of a collective case (CollectiveCase); its clocks and tier stay its own.
    COLLECTIVE_JOINED = "collective_joined", _("Joined a collective case")
    COLLECTIVE_LEFT = "collective_left", _("Left the collective case")


class CollectiveStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CollectiveEventKind(models.TextChoices):
    """The entries of a collective case's own timeline (CollectiveEvent).

    Every value differs from every ``EventKind`` value, so no collective event's hashed
    bytes can ever read as a case event's (the chain format is the same, complaints/canonical.py).
    """

    PROPOSED = "collective_proposed", _("Proposed for grouping")
    CONFIRMED = "collective_confirmed", _("Grouping confirmed by a supervisor")
    MEMBER_ADDED = "collective_member_added", _("Case added")
    MEMBER_REMOVED = "collective_member_removed", _("Case removed")
    CLOSED = "collective_closed", _("Collective case closed")
