"""What the portal owes to people and systems outside it: emails and webhook deliveries.

Both are rows written in the same transaction as the change they report, then delivered
by Celery tasks with retries, so a notification is never lost and never sent for a change
that did not happen. Two tables, one delivery loop (delivery.py): each has ``attempts``,
``next_attempt_at`` (the due column, indexed for pending rows) and ``last_error``, which
is all the loop needs besides a channel's own "done" and "gave up" fields.
"""

import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """An email committed in the same transaction as the change it reports.

    A Celery task sends pending rows with retries and backoff; ``dedupe_key`` is unique,
    so the same notification is queued once. A drain claims a row (attempts up,
    ``next_attempt_at`` past a lease) before sending it, so two drains never send it
    twice at once; pending means ``sent_at`` and ``failed_at`` both empty. The server's
    acceptance (``accepted_at``, ``server_reply``) is committed before the row is marked
    sent, so a retry after a crash in between does not send it again. Rows are kept after
    sending as the record.
    """

    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    case = models.ForeignKey(
        "complaints.ComplaintCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    html = models.TextField(_("HTML body"), blank=True)
    template = models.CharField(
        _("template"),
        max_length=40,
        blank=True,
        help_text=_("Rendered from the case when sent, for notifications queued in bulk."),
    )
    context = models.JSONField(_("template context"), default=dict, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    accepted_at = models.DateTimeField(
        _("accepted by the mail server at"),
        null=True,
        blank=True,
        help_text=_(
            "Recorded, in its own committed write, as soon as the server accepted the "
            "message and before it is marked sent: a retry after a crash in between never "
            "sends it again."
        ),
    )
    # Database defaults too: the sweep bulk-inserts rows by column (complaints.bulk).
    server_reply = models.CharField(
        _("mail server's reply"),
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text=_("What the server answered on accepting it, e.g. 250 2.0.0 Ok: queued as …"),
    )
    refused = models.JSONField(
        _("refused recipients"),
        default=dict,
        db_default=Value({}, output_field=models.JSONField()),
        blank=True,
        help_text=_("Recipients the server refused while accepting the others, with its reply."),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(
        _("gave up at"),
        null=True,
        blank=True,
        help_text=_("Set after the last retry; staff can queue the email again from admin."),
    )

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.dedupe_key


def webhook_secret_new() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """An HTTPS URL that receives the events of the cases one party is part of.

    The party is a platform (its cases) or a consumer group (cases filed by its members);
    exactly one of the two is set.
    """

    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["https"])])
    secret = models.CharField(_("signing secret"), max_length=100, default=webhook_secret_new)
    platform = models.ForeignKey(
        "complaints.Platform",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("platform"),
    )
    consumer_group = models.ForeignKey(
        "auth.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("consumer group"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(platform__isnull=False, consumer_group__isnull=True)
                    | models.Q(platform__isnull=True, consumer_group__isnull=False)
                ),
                name="webhook_one_scope",
            )
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    """One case event owed to one endpoint, and how sending it went.

    Written in the transaction that appended the event (``webhooks_queue``); the body is
    fixed then, masked for a platform, so what is sent is what the event said.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.ForeignKey(
        "complaints.CaseEvent",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("event"),
    )
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} ← {self.event}"
