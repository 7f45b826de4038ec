import pytest
from django.db import DatabaseError, connection, transaction

from complaints.choices import EventKind
from complaints.errors import ImmutableRecord
from complaints.models import CaseEvent
from complaints.timeline import chain_verify, event_append
from tests.factories import case_filed


def test_filing_starts_the_timeline_with_who_and_when(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    event = case.events.get()
    assert event.kind == EventKind.FILED
    assert event.actor == complainant
    assert event.created_at == case.created_at
    assert event.payload["reference"] == case.reference


def test_a_changed_event_cannot_be_saved(complainant) -> None:  # type: ignore[no-untyped-def]
    event = case_filed(complainant=complainant).events.get()
    event.payload = {"reference": "forged"}
    with pytest.raises(ImmutableRecord):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).payload["reference"] != "forged"


def test_an_event_cannot_be_deleted_one_by_one_or_in_bulk(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    with pytest.raises(ImmutableRecord):
        case.events.get().delete()
    with pytest.raises(ImmutableRecord):
        CaseEvent.objects.filter(case=case).delete()
    with pytest.raises(ImmutableRecord):
        CaseEvent.objects.filter(case=case).update(kind=EventKind.RESOLVED)
    assert case.events.count() == 1


def test_the_database_refuses_raw_updates_on_postgresql(postgres: None, complainant) -> None:  # type: ignore[no-untyped-def]
    event = case_filed(complainant=complainant).events.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_caseevent SET kind = 'resolved' WHERE id = %s", [event.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM complaints_caseevent WHERE id = %s", [event.pk])


def test_events_form_a_hash_chain(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    second = event_append(
        case=case, kind=EventKind.MESSAGE, actor=complainant, payload={"text": "还没到账"}
    )
    first = case.events.get(seq=1)
    assert second.seq == 2
    assert second.prev_hash == first.hash
    assert second.hash == second.compute_hash()
    assert chain_verify(case) == []


def test_an_operator_editing_the_table_directly_is_found(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    event_append(case=case, kind=EventKind.MESSAGE, actor=complainant, payload={"text": "原文"})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # an operator with DDL rights can lift the trigger
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE complaints_caseevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE complaints_caseevent SET payload = %s WHERE case_id = %s AND seq = 2",
            ['{"text": "改过"}', case.pk],
        )
    breaks = chain_verify(case)
    assert [(b.seq, b.problem) for b in breaks] == [(2, "content does not match its hash")]
