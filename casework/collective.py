"""Collective cases: which cases to group, and the acts that group them.

Cases against the same platform with the same problem, filed close together, are usually
one cause (a platform that stopped delivering card keys, a channel that lost orders for
a day); pursued together they weigh more with a regulator. ``collective_suggestions``
finds such groups; a triager proposes one (``collective_propose``: from a suggestion, or
the case list's "merge into a collective case"); only a supervisor confirms it
(``collective_confirm``), adds or removes members, or closes it. Every act writes the
collective's own timeline (CollectiveEvent) with the staff member, and each member's
timeline gets "joined" / "left" once the grouping is confirmed.

A member keeps its own clocks, tier and timeline: joining changes no deadline, no tier
and nothing the complainant must do. What a member's complainant learns of the others is
the collective's reference and how many cases it holds, never their names or data; the
events on members' timelines (which reach the platform's webhooks) carry only those two.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.access import Act, check_act, check_act_on_all
from complaints.choices import (
    OPEN_STATUSES,
    CollectiveEventKind,
    CollectiveStatus,
    EventKind,
    ProblemType,
)
from complaints.errors import InvalidInput, InvalidTransition
from complaints.models import CaseEvent, CollectiveCase, ComplaintCase
from complaints.selectors import complainant_language
from complaints.timeline import EventEntry, collective_event_append, events_append
from notifications.outbox import Notification, notifications_queue
from notifications.webhooks import webhooks_queue

TITLE_MAX = 200


@dataclass(frozen=True)
class Suggestion:
    """Open cases in no collective, against one platform with one problem, all filed within
    the window of the first: a group a triager may propose with one click."""

    platform_id: int
    platform_name: str
    problem_type: str
    case_ids: tuple[int, ...]
    references: tuple[str, ...]
    first_filed_at: datetime
    last_filed_at: datetime

    @property
    def problem_label(self) -> str:
        return str(ProblemType(self.problem_type).label)

    @property
    def size(self) -> int:
        return len(self.case_ids)


# (pk, reference, platform id, platform name, problem type, filed at)
_Row = tuple[int, str, int, str, str, datetime]


def _windows(rows: Sequence[_Row], window: timedelta, min_cases: int) -> Iterator[Sequence[_Row]]:
    """Disjoint runs of ``rows`` (one platform and problem, oldest first) in which the last
    is filed at most ``window`` after the first (exactly ``window`` included), each of at
    least ``min_cases``. From the oldest case not yet grouped: take every case up to
    ``window`` after it; too few, and the next case is tried as the start."""
    start = 0
    while start + min_cases <= len(rows):
        end = start
        while end + 1 < len(rows) and rows[end + 1][5] - rows[start][5] <= window:
            end += 1
        if end - start + 1 >= min_cases:
            yield rows[start : end + 1]
            start = end + 1
        else:
            start += 1


def collective_suggestions(
    *,
    window: timedelta | None = None,
    min_cases: int | None = None,
    limit: int | None = None,
) -> list[Suggestion]:
    """Groups worth proposing as collective cases, the largest first, then the newest.

    Candidates are the open cases (filed: drafts are no cases yet) in no collective, the
    newest ``limit`` of them (settings ``COLLECTIVE_SCAN_LIMIT``); one query reads them,
    in the order of the ``case_ungrouped_open_recent`` index, whatever the number of
    cases, and the grouping is done on those rows. ``window`` and ``min_cases`` default to
    settings ``COLLECTIVE_WINDOW`` and ``COLLECTIVE_MIN_CASES`` (read at each call).
    """
    window = settings.COLLECTIVE_WINDOW if window is None else window
    min_cases = max(2, settings.COLLECTIVE_MIN_CASES if min_cases is None else min_cases)
    limit = settings.COLLECTIVE_SCAN_LIMIT if limit is None else limit
    rows: list[_Row] = list(
        ComplaintCase.objects.filter(
            status__in=sorted(s.value for s in OPEN_STATUSES), collective__isnull=True
        )
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "reference",
            "order__platform_id",
            "order__platform__name",
            "problem_type",
            "created_at",
        )[:limit]
    )
    by_kind: dict[tuple[int, str], list[_Row]] = {}
    for row in sorted(rows, key=lambda r: (r[2], r[4], r[5], r[0])):
        by_kind.setdefault((row[2], row[4]), []).append(row)
    suggestions = [
        Suggestion(
            platform_id=group[0][2],
            platform_name=group[0][3],
            problem_type=group[0][4],
            case_ids=tuple(r[0] for r in group),
            references=tuple(r[1] for r in group),
            first_filed_at=group[0][5],
            last_filed_at=group[-1][5],
        )
        for same in by_kind.values()
        for group in _windows(same, window, min_cases)
    ]
    suggestions.sort(key=lambda s: (-s.size, -s.last_filed_at.timestamp(), s.platform_id))
    return suggestions


# --- the acts ------------------------------------------------------------------------------


def _cases_locked(ids: Iterable[int]) -> list[ComplaintCase]:
    """The cases, their rows locked for the transaction in pk order (two acts on
    overlapping cases take the locks in the same order, so neither waits on the other
    in a circle)."""
    ids = sorted(set(ids))
    list(ComplaintCase.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    return list(
        ComplaintCase.objects.select_related("order__platform", "complainant")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _collective_locked(collective: CollectiveCase) -> CollectiveCase:
    """The collective case as it is now, its row locked (before its members' rows: the
    order every act here keeps)."""
    return (
        CollectiveCase.objects.select_for_update().select_related("platform").get(pk=collective.pk)
    )


def _grouping_check(
    cases: Sequence[ComplaintCase], *, platform_id: int | None = None, problem_type: str = ""
) -> tuple[int, str]:
    """The cases may join one collective: all open, in no collective, against one platform
    with one problem (the collective's, when it exists). Returns that platform and problem."""
    errors: list[str] = []
    for case in cases:
        if case.status not in OPEN_STATUSES:
            errors.append(_("%(ref)s is not open.") % {"ref": case.reference})
        elif case.collective_id is not None:
            errors.append(_("%(ref)s is already in a collective case.") % {"ref": case.reference})
    kinds = {(case.order.platform_id, case.problem_type) for case in cases}
    if platform_id is not None:
        kinds.add((platform_id, problem_type))
    if len(kinds) > 1:
        errors.append(_("The cases must be against the same platform with the same problem."))
    if errors:
        raise InvalidInput(fields={"cases": errors})
    [(platform, problem)] = kinds
    return platform, problem


def _title_check(title: str) -> str:
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            fields={"title": [_("At most %(limit)s characters.") % {"limit": TITLE_MAX}]}
        )
    return title


def _members_event(
    *,
    collective: CollectiveCase,
    members: Sequence[ComplaintCase],
    kind: str,
    actor: Any,
    count: int,
    now: datetime,
) -> None:
    """The same event on each member's timeline (who acted; the collective's reference and
    size, nothing of the other members), and the webhooks they owe, in one batch."""
    if not members:
        return
    payload = {"collective": collective.reference, "members": count}
    appended = events_append(
        [EventEntry(case.pk, kind, payload, actor.pk) for case in members], now=now
    )
    webhooks_queue(
        CaseEvent.objects.filter(reduce(or_, (Q(case_id=a.case_id, seq=a.seq) for a in appended)))
    )


def _members_tell(
    *, collective: CollectiveCase, members: Sequence[ComplaintCase], count: int, now: datetime
) -> None:
    """Email each member's complainant that their case joined (the outbox, once each)."""
    notes = []
    for case in members:
        if not case.complainant.email:
            continue
        with translation.override(complainant_language(case.complainant)):
            subject = _("Case %(ref)s is now part of collective case %(collective)s") % {
                "ref": case.reference,
                "collective": collective.reference,
            }
            body = _(
                "Our staff grouped your case %(ref)s with other complaints against "
                "%(platform)s about the same problem: collective case %(collective)s, "
                "%(count)s cases in all, pursued together.\n\n"
                "Your case keeps its own deadlines, tier and timeline, and nothing changes "
                "in what you need to do. The other complainants do not see your name or "
                "details, nor you theirs."
            ) % {
                "ref": case.reference,
                "platform": collective.platform.name,
                "collective": collective.reference,
                "count": count,
            }
        notes.append(
            Notification(
                dedupe_key=f"collective-joined:{collective.pk}:{case.pk}",
                to=(case.complainant.email,),
                case_id=case.pk,
                subject=subject,
                body=body,
            )
        )
    notifications_queue(notes, now=now)


def collective_propose(
    *,
    cases: Iterable[ComplaintCase],
    actor: Any,
    title: str = "",
    now: datetime | None = None,
) -> CollectiveCase:
    """A triager (or supervisor) proposes grouping ``cases``: a collective case, unconfirmed.

    At least two open cases in no collective, against one platform with one problem.
    They are held for it (no other proposal takes them), but nothing changes on their
    own timelines until a supervisor confirms; the proposal is the collective's first
    event, with who proposed it and the members.
    """
    now = now or timezone.now()
    cases = list(cases)
    for case in cases:
        check_act(actor, case, Act.PROPOSE_COLLECTIVE)
    title = _title_check(title)
    if len({case.pk for case in cases}) < 2:
        raise InvalidInput(fields={"cases": [_("Select at least two cases to group.")]})
    with transaction.atomic():
        members = _cases_locked(case.pk for case in cases)
        platform_id, problem_type = _grouping_check(members)
        collective = CollectiveCase.objects.create(
            platform_id=platform_id,
            problem_type=problem_type,
            title=title,
            created_by=actor,
            created_at=now,
        )
        collective.reference = services.collective_reference(
            pk=collective.pk, year=timezone.localtime(now).year
        )
        CollectiveCase.objects.filter(pk=collective.pk).update(reference=collective.reference)
        ComplaintCase.objects.filter(pk__in=[m.pk for m in members]).update(collective=collective)
        collective_event_append(
            collective=collective,
            kind=CollectiveEventKind.PROPOSED,
            actor=actor,
            payload={
                "reference": collective.reference,
                "platform": members[0].order.platform.name,
                "problem_type": problem_type,
                "title": title,
                "members": [m.reference for m in members],
            },
            now=now,
        )
    return collective


def collective_confirm(
    *, collective: CollectiveCase, actor: Any, now: datetime | None = None
) -> CollectiveCase:
    """A supervisor confirms the proposed grouping (``Act.CONFIRM_COLLECTIVE``).

    In one transaction: each member's timeline gets "joined a collective case" (the
    supervisor as actor), the collective's gets "confirmed", each complainant an email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        collective = _collective_locked(collective)
        members = _cases_locked(collective.members.values_list("pk", flat=True))
        check_act_on_all(actor, members, Act.CONFIRM_COLLECTIVE)
        if collective.status != CollectiveStatus.OPEN or collective.confirmed_at is not None:
            raise InvalidTransition(_("This collective case is already confirmed or closed."))
        if len(members) < 2:
            raise InvalidTransition(_("A collective case needs at least two cases."))
        CollectiveCase.objects.filter(pk=collective.pk).update(confirmed_by=actor, confirmed_at=now)
        collective.confirmed_by, collective.confirmed_at = actor, now
        _members_event(
            collective=collective,
            members=members,
            kind=EventKind.COLLECTIVE_JOINED,
            actor=actor,
            count=len(members),
            now=now,
        )
        _members_tell(collective=collective, members=members, count=len(members), now=now)
        collective_event_append(
            collective=collective,
            kind=CollectiveEventKind.CONFIRMED,
            actor=actor,
            payload={"members": [m.reference for m in members]},
            now=now,
        )
    return collective


def collective_add(
    *,
    collective: CollectiveCase,
    cases: Iterable[ComplaintCase],
    actor: Any,
    now: datetime | None = None,
) -> CollectiveCase:
    """A supervisor adds cases to an open collective case (same platform, same problem).

    Added to a confirmed one, each new member's timeline gets "joined" at once.
    """
    now = now or timezone.now()
    cases = list(cases)
    if not cases:
        raise InvalidInput(fields={"cases": [_("Select the cases to add.")]})
    with transaction.atomic():
        collective = _collective_locked(collective)
        check_act_on_all(actor, cases, Act.CONFIRM_COLLECTIVE)
        if collective.status != CollectiveStatus.OPEN:
            raise InvalidTransition(_("This collective case is closed."))
        added = _cases_locked(case.pk for case in cases)
        _grouping_check(
            added, platform_id=collective.platform_id, problem_type=collective.problem_type
        )
        ComplaintCase.objects.filter(pk__in=[c.pk for c in added]).update(collective=collective)
        count = collective.members.count()
        if collective.confirmed_at is not None:
            _members_event(
                collective=collective,
                members=added,
                kind=EventKind.COLLECTIVE_JOINED,
                actor=actor,
                count=count,
                now=now,
            )
            _members_tell(collective=collective, members=added, count=count, now=now)
        collective_event_append(
            collective=collective,
            kind=CollectiveEventKind.MEMBER_ADDED,
            actor=actor,
            payload={"cases": [c.reference for c in added], "members": count},
            now=now,
        )
    return collective


def collective_remove(
    *,
    collective: CollectiveCase,
    case: ComplaintCase,
    actor: Any,
    reason: str,
    now: datetime | None = None,
) -> CollectiveCase:
    """A supervisor takes a case out of an open collective case, with a reason (kept on the
    collective's timeline; the member's own says only that it left)."""
    now = now or timezone.now()
    reason = services.reason_check(reason=reason)
    with transaction.atomic():
        collective = _collective_locked(collective)
        [case] = _cases_locked([case.pk])
        check_act(actor, case, Act.CONFIRM_COLLECTIVE)
        if collective.status != CollectiveStatus.OPEN:
            raise InvalidTransition(_("This collective case is closed."))
        if case.collective_id != collective.pk:
            raise InvalidInput(
                fields={
                    "cases": [
                        _("%(ref)s is not in this collective case.") % {"ref": case.reference}
                    ]
                }
            )
        ComplaintCase.objects.filter(pk=case.pk).update(collective=None)
        case.collective = None
        count = collective.members.count()
        if collective.confirmed_at is not None:
            _members_event(
                collective=collective,
                members=[case],
                kind=EventKind.COLLECTIVE_LEFT,
                actor=actor,
                count=count,
                now=now,
            )
        collective_event_append(
            collective=collective,
            kind=CollectiveEventKind.MEMBER_REMOVED,
            actor=actor,
            payload={"case": case.reference, "reason": reason, "members": count},
            now=now,
        )
    return collective


def collective_close(
    *, collective: CollectiveCase, actor: Any, reason: str, now: datetime | None = None
) -> CollectiveCase:
    """A supervisor closes a collective case, with a reason.

    A confirmed one keeps its members (the record says which cases were pursued together);
    an unconfirmed proposal is dismissed and its cases are free to be grouped again.
    Closing changes nothing on the members' own clocks.
    """
    now = now or timezone.now()
    reason = services.reason_check(reason=reason)
    with transaction.atomic():
        collective = _collective_locked(collective)
        members = _cases_locked(collective.members.values_list("pk", flat=True))
        check_act_on_all(actor, members, Act.CONFIRM_COLLECTIVE)
        if collective.status != CollectiveStatus.OPEN:
            raise InvalidTransition(_("This collective case is closed."))
        dismissed = collective.confirmed_at is None
        if dismissed:
            ComplaintCase.objects.filter(collective=collective).update(collective=None)
        CollectiveCase.objects.filter(pk=collective.pk).update(
            status=CollectiveStatus.CLOSED, closed_at=now
        )
        collective.status, collective.closed_at = CollectiveStatus.CLOSED, now
        collective_event_append(
            collective=collective,
            kind=CollectiveEventKind.CLOSED,
            actor=actor,
            payload={
                "reason": reason,
                "dismissed": dismissed,
                "members": [m.reference for m in members],
            },
            now=now,
        )
    return collective
