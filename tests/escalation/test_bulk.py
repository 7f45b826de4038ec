"""The sweep's bulk writer keeps every character and drops only deduplicated rows."""

from datetime import datetime
from zoneinfo import ZoneInfo

from complaints.bulk import db_datetime, db_json, insert_rows
from notifications.models import OutboxEmail

AT = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COLUMNS = ("dedupe_key", "to", "subject", "body", "html", "template", "context")
COLUMNS += ("created_at", "next_attempt_at", "attempts", "last_error", "server_reply", "refused")


def _row(key: str, subject: str) -> tuple:
    at = db_datetime(AT)
    context = db_json({"note": 'tab\there "quoted" back\\slash\n换行'})
    to = db_json(["a@example.com"])
    return (key, to, subject, "", "", "", context, at, at, 0, "", "", db_json({}))


def test_tricky_text_survives_and_duplicates_are_dropped(db: None) -> None:
    subject = "投诉\t制表符\\反斜杠\n第二行\r回车 \\N"
    rows = [_row("k1", subject), _row("k2", "second")]
    insert_rows(OutboxEmail._meta.db_table, COLUMNS, rows, ignore_conflicts_on="dedupe_key")
    insert_rows(
        OutboxEmail._meta.db_table,
        COLUMNS,
        [_row("k1", "a duplicate, dropped"), _row("k3", "third")],
        ignore_conflicts_on="dedupe_key",
    )
    stored = {row.dedupe_key: row for row in OutboxEmail.objects.all()}
    assert set(stored) == {"k1", "k2", "k3"}
    assert stored["k1"].subject == subject
    assert stored["k1"].context["note"] == 'tab\there "quoted" back\\slash\n换行'
    assert stored["k1"].created_at == AT and stored["k1"].to == ["a@example.com"]
