"""Checking that stored evidence and timelines are still what was filed."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from complaints.choices import EventKind
from complaints.models import CollectiveCase, ComplaintCase
from complaints.records import record_intact
from complaints.timeline import chain_verify

from .selectors import case_items
from .storage import evidence_storage

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Mismatch:
    case_reference: str
    item: str  # "" for timeline problems
    problem: str

    def __str__(self) -> str:
        where = f" item {self.item}" if self.item else ""
        return f"{self.case_reference}{where}: {self.problem}"


def file_sha256(name: str) -> tuple[str, int]:
    """SHA-256 and size of a stored file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with evidence_storage().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def case_verify(case: ComplaintCase) -> list[Mismatch]:
    """Every file whose bytes changed or vanished, every break in the case's timeline, and
    a record (description, demand, order, complainant) that is not the one the timeline
    last sealed: a change made without an amendment is reported like a changed file."""
    found = [
        Mismatch(case.reference, "", f"event {b.seq}: {b.problem}") for b in chain_verify(case)
    ]
    if not record_intact(case):
        found.append(
            Mismatch(
                case.reference,
                "",
                "the complaint's record (description, demand, order) does not match "
                "the hash its timeline sealed",
            )
        )
    recorded = {
        e.payload.get("item"): e.payload.get("sha256")
        for e in case.events.filter(kind=EventKind.EVIDENCE_ADDED).only("payload")
    }
    for item in case_items(case):
        label = f"{item.pk} ({item.original_name})"
        try:
            # An item whose file name was lost is as missing as a file that vanished.
            digest, size = file_sha256(item.file.name or "")
        except OSError:
            found.append(Mismatch(case.reference, label, "file is missing"))
            continue
        if digest != item.sha256 or size != item.size:
            found.append(Mismatch(case.reference, label, "file content does not match its hash"))
        if item.sealed_at is not None and recorded.get(item.pk) != item.sha256:
            found.append(
                Mismatch(case.reference, label, "the timeline does not record this file's hash")
            )
    return found


def collective_verify(collective: CollectiveCase) -> list[Mismatch]:
    """Every break in a collective case's own timeline (its members are checked as cases)."""
    return [
        Mismatch(collective.reference or "", "", f"event {b.seq}: {b.problem}")
        for b in chain_verify(collective)
    ]


def cases_verify(cases: Iterable[ComplaintCase]) -> list[Mismatch]:
    return [m for case in cases for m in case_verify(case)]
