"""Pieces of the case and collective-case pages that read the same on both: a timeline in
words with who acted, and the hash chain's verdict. Colours are classes of
static/css/admin.css (the Content-Security-Policy drops inline style attributes)."""

from collections.abc import Callable, Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from complaints.timeline import chain_verify


def timeline_html(events: Iterable[Any], describe: Callable[[Any], Any]) -> str:
    """An ordered list of ``events`` (actor selected), each put in words by ``describe``
    (which sets the event's display attributes) and followed by who acted."""
    rows = []
    for event in events:
        describe(event)
        actor = event.actor.get_username() if event.actor else _("the system")
        rows.append(
            format_html(
                '<li>{} <span class="quiet">({})</span></li>',
                render_to_string("casework/_event.html", {"event": event}),
                actor,
            )
        )
    return format_html('<ol class="timeline">{}</ol>', mark_safe("".join(rows)))  # noqa: S308


def chain_html(owner: Any) -> str:
    """The hash chain of a case's or a collective case's timeline: intact, or each break."""
    breaks = chain_verify(owner)
    if not breaks:
        return format_html(
            '<span class="chain-intact">✔ {}</span>', _("Intact: every event matches its hash.")
        )
    return format_html_join(
        "", '<div class="chain-broken">✘ #{}: {}</div>', ((b.seq, b.problem) for b in breaks)
    )
