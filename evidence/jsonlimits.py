"""Bounds on what a JSON upload (a chat export, a HAR network log) may cost to parse.

ijson streams, but its memory grows with the square of the nesting depth: every event
carries the full dotted prefix, and the C backend materialises one buffer's events at
once, so 60 kB of ``[[[[…`` took 2 GB. Two layers keep memory bounded by construction
(OWASP ASVS 5.0 V5.2 "file handling", CWE-400 / CWE-776 uncontrolled resource use):

1. every buffer ijson reads is first walked byte by byte (a scanner holding a few
   integers) and the document refused as soon as its nesting depth, token count or key
   length passes the limit, before the parser has seen those bytes;
2. ijson reads small buffers (it builds one buffer's events at once) and the depth is
   checked again on its events, so even input the scanner misjudged (it is not a full
   parser) cannot take ijson past the limit.

``json_events`` is the only way the project runs ijson.
"""

import re
from collections.abc import Iterator
from typing import IO, Any

import ijson
from django.conf import settings
from django.utils.translation import gettext as _

from complaints.errors import InvalidInput

# Bytes ijson reads per call: a buffer's events are built at once, so this caps how many
# events (each with a prefix of at most depth × key length) exist together.
PARSE_BUFFER_BYTES = 4096
_STRUCTURAL = re.compile(rb'["\\\[\]{},:]')
_BLANKS = b" \t\r\n"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": [message]})


def _too_deep(limit: int) -> InvalidInput:
    return _refuse(
        _("The file is nested more than %(limit)s levels deep and cannot be read safely.")
        % {"limit": limit}
    )


class _Scanner:
    """A byte-level walk that knows only strings (with backslash escapes) and the structural
    characters ``[]{},:``: enough to count depth, tokens and key lengths, never to allocate
    more than the chunk it is given. Invalid JSON that passes is left to the parser."""

    def __init__(self) -> None:
        self.max_depth = settings.EVIDENCE_JSON_MAX_DEPTH
        self.max_tokens = settings.EVIDENCE_JSON_MAX_TOKENS
        self.max_key = settings.EVIDENCE_JSON_MAX_KEY_BYTES
        self.depth = self.tokens = 0
        self.in_string = False
        self.string_start = 0  # absolute offset of the current (or last) string's quote
        self.last_string_length = 0
        self.offset = 0
        self.skip_to = 0  # offset in the chunk before which a match was escaped
        self.max_scalar = settings.EVIDENCE_JSON_MAX_SCALAR_BYTES
        self.carried = 0  # non-blank bytes of a number or literal begun in an earlier chunk

    def _scalar_check(self, segment: bytes) -> None:
        """Numbers are short: ijson's C backend turns integers into Python ints itself and
        crashes the process (SIGSEGV) on one longer than Python's 4300-digit limit."""
        limit = self.max_scalar - self.carried
        if len(segment) > limit and len(segment.translate(None, _BLANKS)) > limit:
            raise _refuse(
                _("The file has a number longer than %(limit)s characters.")
                % {"limit": self.max_scalar}
            )

    def feed(self, chunk: bytes) -> None:
        previous = -1  # the last structural byte outside a string in this chunk
        for match in _STRUCTURAL.finditer(chunk, self.skip_to):
            at = match.start()
            if at < self.skip_to:
                continue
            byte = chunk[at]
            if self.in_string:
                if byte == 0x5C:  # a backslash escapes the byte after it
                    self.skip_to = at + 2
                elif byte == 0x22:
                    self.in_string = False
                    self.last_string_length = self.offset + at - self.string_start - 1
                    previous = at
                continue
            self._scalar_check(chunk[previous + 1 : at])
            self.carried = 0
            previous = at
            if byte == 0x22:
                self.in_string = True
                self.string_start = self.offset + at
                self.tokens += 1
            elif byte in b"[{":
                self.depth += 1
                self.tokens += 1
                if self.depth > self.max_depth:
                    raise _too_deep(self.max_depth)
            elif byte in b"]}":
                self.depth -= 1
                if self.depth < 0:
                    raise _refuse(_("The file is not valid JSON."))
            elif byte == 0x3A:
                if self.last_string_length > self.max_key:  # the string before ":" is a key
                    raise _refuse(
                        _("The file has a field name longer than %(limit)s bytes.")
                        % {"limit": self.max_key}
                    )
            else:
                self.tokens += 1
            if self.tokens > self.max_tokens:
                raise _refuse(
                    _("The file has more than %(limit)s values and is too large to read.")
                    % {"limit": f"{self.max_tokens:,}"}
                )
        if not self.in_string:
            tail = chunk[previous + 1 :]
            self._scalar_check(tail)
            self.carried += len(tail.translate(None, _BLANKS))
        else:
            self.carried = 0
        self.skip_to = max(self.skip_to - len(chunk), 0)
        self.offset += len(chunk)


class _ScannedReader:
    """Hands ijson each buffer only after the scanner has passed it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._scanner = _Scanner()

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._scanner.feed(chunk)
        return chunk


def json_events(handle: IO[bytes], **options: Any) -> Iterator[tuple[str, str, Any]]:
    """ijson's (prefix, event, value) stream, bounded in depth, tokens and key length.

    Every buffer is scanned before ijson parses it, and the depth is checked again on the
    events. Callers catch ``ijson.JSONError`` for invalid JSON; a passed limit raises
    ``InvalidInput`` with a message for the ``file`` field.
    """
    max_depth = settings.EVIDENCE_JSON_MAX_DEPTH
    depth = 0
    reader = _ScannedReader(handle)
    for prefix, event, value in ijson.parse(reader, buf_size=PARSE_BUFFER_BYTES, **options):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth)
        elif event in ("end_map", "end_array"):
            depth -= 1
        yield prefix, event, value
