"""Every catalogue is fully translated and its compiled .mo says what the .po says."""

import gettext
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_there_are_catalogues() -> None:
    assert len(CATALOGUES) >= 4


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_translated_and_compiled(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    with open(po_path.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural and compiled.gettext(e.msgid) != e.msgstr
    ]
    assert stale == [], "run bin/messages to recompile"


def test_a_message_reads_the_same_in_every_catalogue() -> None:
    """Django uses the first catalogue that has a message, so two translations would make
    the wording depend on app order."""
    seen: dict[str, set[str]] = {}
    for po_path in CATALOGUES:
        for entry in polib.pofile(str(po_path)).translated_entries():
            seen.setdefault(entry.msgid, set()).add(entry.msgstr)
    assert {msgid: s for msgid, s in seen.items() if len(s) > 1} == {}
