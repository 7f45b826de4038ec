"""The printable one-page-or-more summary of a case and its evidence, with correct Chinese.

reportlab's built-in ``STSong-Light`` is a CID font that PDF readers supply themselves
(Adobe's Asian font packs, poppler's and pdf.js's built-in CID maps), so no font file has
to be shipped or fetched, and the PDF stays small.
"""

import io
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from complaints.models import ComplaintCase

from .receipt import receipt_build
from .selectors import case_items

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=7.5, leading=9.5)
_H1 = ParagraphStyle("h1", parent=_BODY, fontSize=16, leading=22, spaceAfter=4)
_H2 = ParagraphStyle("h2", parent=_BODY, fontSize=12, leading=17, spaceBefore=8, spaceAfter=3)


def _p(text: object, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows: Sequence[Sequence[object]], widths: list[float]) -> Table:
    table = Table(
        [[c if isinstance(c, Paragraph) else _p(c, _SMALL) for c in row] for row in rows],
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


def summary_pdf(case: ComplaintCase, *, language: str = "zh-hans") -> bytes:
    """The case, its evidence with hashes, its timeline and the receipt's chain head, as PDF."""
    with translation.override(language):
        order = case.order
        receipt = receipt_build(case)
        story: list[Flowable] = [
            _p(_("Complaint summary"), _H1),
            _p(case.subject_line, _H2),
            _table(
                [
                    [_("Field"), _("Value")],
                    [_("Case"), case.reference],
                    [_("Platform"), order.platform.name],
                    [_("Order number"), order.order_number],
                    [_("Product"), order.product_name],
                    [_("Amount"), f"{order.amount} {order.currency}"],
                    [_("Problem"), case.get_problem_type_display()],
                    [_("Demand"), case.get_demand_kind_display()],
                    [_("Status"), case.get_status_display()],
                    [_("Filed at"), _local(case.created_at)],
                ],
                [40 * mm, 130 * mm],
            ),
            _p(_("What happened"), _H2),
            _p(case.description),
            _p(_("Evidence"), _H2),
            _table(
                [[_("#"), _("Kind"), _("File"), _("Uploaded at"), "SHA-256"]]
                + [
                    [
                        n,
                        item.get_kind_display(),
                        item.original_name,
                        _local(item.uploaded_at),
                        item.sha256,
                    ]
                    for n, item in enumerate(case_items(case), start=1)
                ],
                [8 * mm, 28 * mm, 40 * mm, 30 * mm, 64 * mm],
            ),
            _p(_("Timeline"), _H2),
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
                _SMALL,
            ),
            _p(_("Generated at %(at)s") % {"at": _local(timezone.now())}, _SMALL),
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
