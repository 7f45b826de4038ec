"""The printable one-page-or-more summary of a case and its evidence, with correct Chinese.

The Chinese font is embedded (a TrueType subset of the glyphs used), so a court's, a
regulator's or a payment channel's reader shows the same text on any machine: a
non-embedded CID font (reportlab's ``STSong-Light``) depends on the reader having Adobe's
Asian font pack, and is kept only as the last fallback. The font comes from a PyPI package
the project depends on (Sarasa Mono SC, SIL OFL, shipped in ``impaper``), so ``bin/run``
on a fresh machine has it; ``EVIDENCE_PDF_FONT`` or Debian's WenQuanYi fonts are tried
before the fallback.
"""

import io
import logging
import os
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from complaints.models import ComplaintCase
from complaints.redaction import Recipient, case_keep, redact

from .attribution import case_attribution_for
from .receipt import receipt_build
from .selectors import case_items

logger = logging.getLogger(__name__)

FONT = "KamenCJK"  # the embedded TrueType font's name in the PDF
FALLBACK_FONT = "STSong-Light"


# Where a CJK TrueType font may be, in order (TTC: the first face).
def _packaged_font() -> Path:
    """The font file inside the ``impaper`` package, found without importing it."""
    spec = find_spec("impaper")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return Path(folders[0] if folders else "/nonexistent") / "res" / "sarasa-mono-sc-regular.ttf"


FONT_CANDIDATES: tuple[Path, ...] = (
    _packaged_font(),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


def font_path() -> Path | None:
    """The TrueType CJK font to embed: ``EVIDENCE_PDF_FONT`` first, then the candidates."""
    configured = os.environ.get("EVIDENCE_PDF_FONT", "")
    for path in ([Path(configured)] if configured else []) + list(FONT_CANDIDATES):
        if path.is_file():
            return path
    return None


@cache
def pdf_font() -> str:
    """Register the font once (reading a CJK font takes most of a second) and name it."""
    path = font_path()
    if path is not None:
        try:
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
            return FONT
        except Exception:  # a broken or CFF-outline font: fall back, say so
            logger.exception("cannot embed the CJK font %s", path)
    logger.warning("no embeddable CJK font found; the PDF uses the non-embedded STSong-Light")
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


@cache
def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=pdf_font(), fontSize=9.5, leading=13, wordWrap="CJK")
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "h1": ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=body, fontSize=12, leading=17, spaceBefore=8, spaceAfter=3
        ),
    }


def _p(text: object, style: str = "body") -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _styles()[style])


def _table(rows: Sequence[Sequence[object]], widths: list[float]) -> Table:
    table = Table(
        [[c if isinstance(c, Paragraph) else _p(c, "small") for c in row] for row in rows],
        colWidths=widths,
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _attribution_part(case: ComplaintCase) -> list[Flowable]:
    """Who the network evidence points at, in the words the documents use; nothing when the
    case has no network evidence."""
    attribution = case_attribution_for(case)
    if not attribution.has_evidence:
        return []
    return [
        _p(_("Network problem attribution"), "h2"),
        _p(attribution.sentence),
        *[_p(r.line, "small") for r in attribution.requests],
    ]


def summary_pdf(
    case: ComplaintCase,
    *,
    language: str = "zh-hans",
    recipient: Recipient | str = Recipient.COURT,
) -> bytes:
    """The case, its evidence with hashes, its timeline and the receipt's chain head, as PDF.

    The complainant's own words are redacted for ``recipient`` (complaints.redaction).
    """
    keep = case_keep(case)

    def text(value: object) -> str:
        return redact(str(value or ""), recipient=recipient, keep=keep)

    with translation.override(language):
        order = case.order
        receipt = receipt_build(case)
        story: list[Flowable] = [
            _p(_("Complaint summary"), "h1"),
            _p(case.subject_line, "h2"),
            _table(
                [
                    [_("Field"), _("Value")],
                    [_("Case"), case.reference],
                    [_("Platform"), order.platform.name],
                    [_("Merchant"), order.merchant.name if order.merchant else ""],
                    [_("Order number"), order.order_number],
                    [_("Product"), text(order.product_name)],
                    [_("Amount"), f"{order.amount} {order.currency}"],
                    [_("Paid at"), _local(order.paid_at)],
                    [_("Payment method"), order.get_payment_method_display()],
                    [_("Payment reference"), order.payment_reference],
                    [_("Problem"), case.get_problem_type_display()],
                    [_("Demand"), case.get_demand_kind_display()],
                    [_("Demand details"), text(case.demand_text)],
                    [
                        _("Amount demanded"),
                        f"{case.demand_amount} {order.currency}" if case.demand_amount else "",
                    ],
                    [
                        _("Deadline"),
                        _("within %(hours)s hours") % {"hours": case.demand_within_hours},
                    ],
                    [_("Status"), case.get_status_display()],
                    [_("Filed at"), _local(case.created_at)],
                ],
                [40 * mm, 130 * mm],
            ),
            _p(_("What happened"), "h2"),
            _p(text(case.description)),
            *_attribution_part(case),
            _p(_("Evidence"), "h2"),
            _table(
                [[_("#"), _("Kind"), _("File"), _("Uploaded at"), "SHA-256"]]
                + [
                    [
                        n,
                        item.get_kind_display(),
                        text(item.original_name),
                        _local(item.uploaded_at),
                        item.sha256,
                    ]
                    for n, item in enumerate(case_items(case), start=1)
                ],
                [8 * mm, 28 * mm, 40 * mm, 30 * mm, 64 * mm],
            ),
            _p(_("Timeline"), "h2"),
            _table(
                [[_("#"), _("At"), _("Event"), _("Hash")]]
                + [
                    [e.seq, _local(e.created_at), e.get_kind_display(), e.hash]
                    for e in case.events.order_by("seq")
                ],
                [10 * mm, 32 * mm, 48 * mm, 80 * mm],
            ),
            Spacer(1, 4 * mm),
            _p(
                _("Timeline chain head: #%(seq)s %(hash)s")
                % {"seq": receipt["chain_head"]["seq"], "hash": receipt["chain_head"]["hash"]},
                "small",
            ),
            _p(_("Generated at %(at)s") % {"at": _local(timezone.now())}, "small"),
        ]
        out = io.BytesIO()
        SimpleDocTemplate(
            out,
            pagesize=A4,
            title=case.subject_line,
            author=case.reference,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
        ).build(story)
    return out.getvalue()
