"""Deciding what an uploaded file is from its bytes, and refusing what is not evidence.

The browser's header and the file name are claims; the content decides. Every refusal
raises ``InvalidInput`` with a message in the user's language, before anything is stored.
"""

import codecs
import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import pillow_heif
import puremagic
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

from complaints.errors import InvalidInput

from .jsonlimits import json_events

pillow_heif.register_heif_opener()

CHUNK_BYTES = 1024 * 1024
HEAD_BYTES = 8192
# The ZIP end-of-central-directory record sits in the last 64 KiB + 22 bytes of an archive.
TAIL_BYTES = 65_557
ZIP_END_MARKER = b"PK\x05\x06"
# Markup that makes an image a polyglot a browser could be tricked into running.
MARKUP_MARKERS = (b"<script", b"<html", b"<!doctype", b"<svg", b"<?php", b"<iframe", b"<body")


@dataclass(frozen=True)
class FileType:
    content_type: str
    family: str  # image, pdf, video, audio, text
    extensions: frozenset[str]
    also_claimed_as: frozenset[str] = frozenset()
    pillow_format: str = ""

    def claimed_types(self) -> frozenset[str]:
        return self.also_claimed_as | {self.content_type}


def _t(
    content_type: str, family: str, exts: str, also: str = "", pillow_format: str = ""
) -> FileType:
    return FileType(
        content_type,
        family,
        frozenset(exts.split()),
        frozenset(also.split()),
        pillow_format,
    )


FILE_TYPES: dict[str, FileType] = {
    t.content_type: t
    for t in [
        _t("image/jpeg", "image", ".jpg .jpeg .jfif .jpe", "image/pjpeg", "JPEG"),
        _t("image/png", "image", ".png", "image/x-png", "PNG"),
        _t("image/gif", "image", ".gif", "", "GIF"),
        _t("image/webp", "image", ".webp", "", "WEBP"),
        _t("image/heic", "image", ".heic .heif", "image/heif image/heic-sequence", "HEIF"),
        _t("application/pdf", "pdf", ".pdf", "application/x-pdf"),
        _t("video/mp4", "video", ".mp4 .m4v", "video/x-m4v"),
        _t("video/quicktime", "video", ".mov .qt"),
        _t("video/webm", "video", ".webm", "audio/webm"),
        _t("audio/mpeg", "audio", ".mp3", "audio/mp3 audio/mpeg3 audio/x-mpeg"),
        _t("audio/mp4", "audio", ".m4a", "audio/x-m4a audio/m4a audio/aac"),
        _t("audio/amr", "audio", ".amr", "audio/x-amr"),
        _t("audio/wav", "audio", ".wav", "audio/x-wav audio/wave audio/vnd.wave"),
        _t("text/plain", "text", ".txt .log .text"),
        _t("text/csv", "text", ".csv", "text/plain application/vnd.ms-excel text/x-csv"),
        _t("application/json", "text", ".json", "text/plain text/json"),
        _t("application/har+json", "text", ".har", "application/json text/plain"),
    ]
}

TEXT_EXTENSIONS = frozenset(
    e for t in FILE_TYPES.values() if t.family == "text" for e in t.extensions
)

# puremagic names a format by extension; these are the ones we accept, and what they are.
_MAGIC_EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heic",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".amr": "audio/amr",
    ".wav": "audio/wav",
}
# Browsers send these when they do not know; they claim nothing.
_UNKNOWN_CLAIMS = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass
class ReceivedUpload:
    """An upload copied to a private temporary file while it was hashed and measured."""

    path: Path
    size: int
    sha256: str
    head: bytes
    tail: bytes
    markup_found: bool
    content_type: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def open(self) -> IO[bytes]:
        return open(self.path, "rb")


@dataclass(frozen=True)
class DerivedImages:
    redacted: bytes
    redacted_extension: str
    thumbnail: bytes
    width: int
    height: int


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": [message]})


def _chunks(file: Any) -> Iterator[bytes]:
    if hasattr(file, "chunks"):
        yield from file.chunks(CHUNK_BYTES)
        return
    if hasattr(file, "seek"):
        file.seek(0)
    while chunk := file.read(CHUNK_BYTES):
        yield chunk


def _human(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.0f} MB"


@contextmanager
def upload_receive(file: Any, *, max_bytes: int) -> Iterator[ReceivedUpload]:
    """Copy ``file`` chunk by chunk into a temporary file, hashing it on the way.

    Memory stays constant whatever the size: only the first 8 KiB and the last 64 KiB are
    kept, for type detection and the appended-archive check. Reading stops as soon as the
    limit is passed. The temporary file is removed on any exit: where the system allows
    (Linux), its name is unlinked as soon as it is created and the bytes are reached
    through the open descriptor, so even a worker killed outright (SIGKILL, the kernel's
    out-of-memory killer) leaves nothing in the temporary directory (CWE-459).
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    markup = False
    overlap = b""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix="evidence-", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    )
    named = Path(handle.name)
    path = named
    descriptor = Path(f"/proc/self/fd/{handle.fileno()}")
    try:
        if descriptor.exists():
            named.unlink()
            path = descriptor
        for chunk in _chunks(file):
            size += len(chunk)
            if size > max_bytes:
                raise _refuse(
                    _("The file is larger than the %(limit)s allowed.")
                    % {"limit": _human(max_bytes)}
                )
            digest.update(chunk)
            handle.write(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            tail = (tail + chunk)[-TAIL_BYTES:]
            window = (overlap + chunk).lower()
            if not markup and any(m in window for m in MARKUP_MARKERS):
                markup = True
            overlap = chunk[-16:]
        handle.flush()
        yield ReceivedUpload(
            path=path,
            size=size,
            sha256=digest.hexdigest(),
            head=head,
            tail=tail,
            markup_found=markup,
        )
    finally:
        handle.close()
        named.unlink(missing_ok=True)


def _decode_text(head: bytes) -> str | None:
    """The head as text (UTF-8, or GB18030 as Chinese Windows exports it), or None if binary."""
    if b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f\x1a")
        if controls <= len(text) // 100:
            return text
    return None


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"}


def _magic_type(head: bytes) -> str | None:
    if head[4:8] == b"ftyp" and len(head) >= 16:
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[i : i + 4] for i in range(8, box_end, 4)} - {b"\x00\x00\x00\x00"}
        if head[8:12] in _HEIF_BRANDS or (brands & _HEIF_BRANDS and b"isom" not in brands):
            return "image/heic"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        content_type = _MAGIC_EXTENSIONS.get(match.extension.lower())
        if content_type:
            return content_type
    return None


def _text_type(text: str, extension: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("<"):
        raise _refuse(_("Web pages and XML documents are not accepted as evidence."))
    if stripped.startswith(("{", "[")):
        compact = "".join(stripped[:200].split())
        if compact.startswith('{"log":') or extension == ".har":
            return "application/har+json"
        if extension in (".json", ""):
            return "application/json"
    if extension == ".csv":
        return "text/csv"
    if extension == ".json":
        return "application/json"
    return "text/plain"


def type_detect(received: ReceivedUpload, *, claimed_name: str, claimed_type: str = "") -> str:
    """The content type of the upload, decided from its bytes; refuses what we do not accept.

    A name or header that claims another type is refused too: an upload whose claim and
    content differ is either a mistake the complainant should see, or an attack.
    """
    if received.size == 0:
        raise _refuse(_("The file is empty."))
    extension = os.path.splitext(claimed_name or "")[1].lower()
    content_type = _magic_type(received.head)
    if content_type is None:
        text = _decode_text(received.head)
        if text is None:
            raise _refuse(
                _(
                    "This kind of file is not accepted. Upload images, PDF, text, chat "
                    "exports, HAR network logs, screen recordings or audio."
                )
            )
        content_type = _text_type(text, extension)
    file_type = FILE_TYPES[content_type]
    claimed = (claimed_type or "").split(";")[0].strip().lower()
    name_ok = not extension or extension in file_type.extensions
    if file_type.family == "text":
        name_ok = not extension or extension in TEXT_EXTENSIONS
    header_ok = claimed in _UNKNOWN_CLAIMS or claimed in file_type.claimed_types()
    if not (name_ok and header_ok):
        raise _refuse(
            _("The file claims to be %(claimed)s but its content is %(detected)s.")
            % {"claimed": claimed or extension, "detected": content_type}
        )
    if file_type.family != "text" and _ends_with_zip(received.tail):
        raise _refuse(_("The file has an archive hidden in it and is refused."))
    if file_type.family == "image" and received.markup_found:
        raise _refuse(_("The image has web-page code hidden in it and is refused."))
    received.content_type = content_type
    return content_type


def _ends_with_zip(tail: bytes) -> bool:
    """A ZIP end record whose comment length reaches exactly to the end of the file.

    Checking the length, not just the 4-byte signature, keeps a recording whose last bytes
    happen to contain "PK\\x05\\x06" from being refused.
    """
    start = tail.find(ZIP_END_MARKER)
    while start != -1:
        record = tail[start : start + 22]
        if len(record) == 22 and int.from_bytes(record[20:22], "little") == len(tail) - start - 22:
            return True
        start = tail.find(ZIP_END_MARKER, start + 1)
    return False


def json_check(received: ReceivedUpload) -> None:
    """A JSON chat export must be JSON: parsed as a stream bounded in depth and
    token count (``evidence.jsonlimits``), so neither size nor nesting matters."""
    try:
        with received.open() as handle:
            for _event in json_events(handle):
                pass
    except ijson.JSONError as exc:
        raise _refuse(_("The file is not valid JSON.")) from exc


def _reencoded(image: Image.Image) -> tuple[Image.Image, io.BytesIO, str]:
    """The decoded image turned upright and saved with no metadata at all."""
    keeps_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    wanted = "RGBA" if keeps_alpha else "RGB"
    # In place and without copies: a 12-megapixel photo is 36 MB per copy.
    upright = image if image.mode == wanted else image.convert(wanted)
    ImageOps.exif_transpose(upright, in_place=True)
    upright.info.clear()
    redacted = io.BytesIO()
    if keeps_alpha:
        upright.save(redacted, "PNG", compress_level=3)
        return upright, redacted, ".png"
    upright.save(redacted, "JPEG", quality=88)
    return upright, redacted, ".jpg"


@contextmanager
def _bomb_guard() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _image_open(path: Path, file_type: FileType) -> Image.Image:
    image = Image.open(path, formats=[file_type.pillow_format])
    width, height = image.size
    if width * height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
        image.close()
        raise _refuse(
            _("The image is too large to process (%(w)s × %(h)s pixels).")
            % {"w": width, "h": height}
        )
    return image


def _jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG's own bytes minus every metadata segment: lossless and fast.

    Keeps what decoding needs (tables, frame, scans; JFIF, ICC colour profile and Adobe
    colour-transform markers), drops EXIF/GPS, XMP, comments, maker notes and anything
    appended after the image (phones append extra pictures with their own EXIF). None
    when the structure is unusual; the caller then re-encodes instead.
    """
    keep_app = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
    if data[:2] != b"\xff\xd8":
        return None
    out = [b"\xff\xd8"]
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the end-of-image marker
            end = data.find(b"\xff\xd9", i)
            if end == -1:
                return None
            out.append(data[i : end + 2])
            return b"".join(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        signature = keep_app.get(marker)
        if not metadata or (signature and segment[4 : 4 + len(signature)] == signature):
            out.append(segment)
        i += 2 + length
    return None


def image_derive(received: ReceivedUpload) -> DerivedImages:
    """Check that the image decodes whole, then make the copy without metadata and a thumbnail.

    The original is never touched: it is the evidence and its hash is what the receipt
    proves. The copy carries no EXIF, GPS or comments. An upright JPEG (the usual phone
    photo) loses its metadata segments losslessly, without re-encoding; anything else is
    decoded, turned upright (the orientation tag goes with the EXIF) and re-encoded.
    """
    file_type = FILE_TYPES[received.content_type]
    damaged = _("The image is damaged or incomplete and cannot be read.")
    size = settings.EVIDENCE_THUMBNAIL_PIXELS
    try:
        with _bomb_guard():
            with _image_open(received.path, file_type) as image:
                image.verify()
            with _image_open(received.path, file_type) as image:
                width, height = image.size
                lossless = None
                if file_type.content_type == "image/jpeg" and image.getexif().get(
                    ExifTags.Base.Orientation, 1
                ) in (0, 1):
                    lossless = _jpeg_without_metadata(received.path.read_bytes())
                if lossless is not None:
                    # Scaled decoding still reads every byte, so truncation fails here too.
                    image.draft(None, (size * 2, size * 2))
                    image.load()
                    redacted = io.BytesIO(lossless)
                    extension = ".jpg"
                    upright = image
                else:
                    image.load()  # decodes every byte: a truncated file fails here
                    upright, redacted, extension = _reencoded(image)
                upright.thumbnail((size, size))
                thumb = io.BytesIO()
                (upright if upright.mode == "RGB" else upright.convert("RGB")).save(
                    thumb, "JPEG", quality=80
                )
    except InvalidInput:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _refuse(_("The image is too large to process.")) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise _refuse(damaged) from exc
    return DerivedImages(
        redacted=redacted.getvalue(),
        redacted_extension=extension,
        thumbnail=thumb.getvalue(),
        width=width,
        height=height,
    )
