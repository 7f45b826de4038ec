"""The evidence bundle of a case and the items in it."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.errors import ImmutableRecord

from .storage import evidence_storage, evidence_upload_to


class EvidenceKind(models.TextChoices):
    PAYMENT_VOUCHER = "payment_voucher", _("Payment voucher")
    ORDER_RECORD = "order_record", _("Order record")
    ERROR_SCREENSHOT = "error_screenshot", _("Error screenshot")
    CHAT_LOG = "chat_log", _("Customer-service chat log")
    NETWORK_LOG = "network_log", _("Network log (HAR)")
    NETWORK_DIAGNOSTICS = "network_diagnostics", _("Network diagnostics (ping / traceroute)")
    SCREEN_RECORDING = "screen_recording", _("Screen recording")
    BANK_STATEMENT = "bank_statement", _("Bank or payment statement")
    OTHER = "other", _("Other")


class EvidenceBundle(models.Model):
    """All the evidence of one case; exported whole as the evidence package.

    A bundle can exist before its case: the filing wizard collects evidence into a bundle
    owned by the complainant, and filing attaches it to the new case and seals its items.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evidence_bundles",
        verbose_name=_("owner"),
    )
    case = models.OneToOneField(
        "complaints.ComplaintCase",
        on_delete=models.PROTECT,
        related_name="evidence_bundle",
        null=True,
        blank=True,
        verbose_name=_("case"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence bundle")
        verbose_name_plural = _("evidence bundles")

    def __str__(self) -> str:
        return f"{_('Evidence')} {self.case or _('(draft)')}"


class EvidenceItem(models.Model):
    """One file of evidence, kept byte for byte as received.

    ``sealed_at`` is set once the item is part of a filed case; from then on the item is
    never changed or deleted, and its ``sha256`` is recorded in the case's timeline.
    """

    bundle = models.ForeignKey(
        EvidenceBundle, on_delete=models.PROTECT, related_name="items", verbose_name=_("bundle")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=EvidenceKind.choices)
    file = models.FileField(
        _("file"), storage=evidence_storage, upload_to=evidence_upload_to, max_length=255
    )
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("detected content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(
        _("happened at"),
        null=True,
        blank=True,
        help_text=_("When the evidenced thing happened (payment, error, chat), to the second."),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)
    redacted_file = models.FileField(
        _("copy without metadata"),
        storage=evidence_storage,
        max_length=255,
        blank=True,
        help_text=_(
            "For everyone but the court: images without EXIF and GPS, network logs (HAR) "
            "without cookies, tokens and card keys."
        ),
    )
    thumbnail = models.FileField(
        _("thumbnail"), storage=evidence_storage, max_length=255, blank=True
    )
    analysis = models.JSONField(
        _("analysis"),
        default=dict,
        blank=True,
        help_text=_("What the portal read from the file, e.g. the failed requests of a HAR log."),
    )

    class Meta:
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")
        ordering = ["bundle", "uploaded_at", "pk"]
        indexes = [models.Index(fields=["bundle", "kind"], name="evidence_bundle_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Sealed evidence is part of the case's permanent record (PostgreSQL enforces it too)."""
        if (
            not self._state.adding
            and EvidenceItem.objects.filter(pk=self.pk, sealed_at__isnull=False).exists()
        ):
            raise ImmutableRecord()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Sealed evidence is part of the case's permanent record."""
        if self.sealed_at is not None:
            raise ImmutableRecord()
        return super().delete(*args, **kwargs)

    @property
    def stored_name(self) -> str:
        """The file's name in evidence storage; every saved item has its file."""
        name = self.file.name
        if not name:
            raise ValueError(f"evidence item {self.pk} has no stored file")
        return name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
