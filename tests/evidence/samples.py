"""Real-shaped evidence files, made on the spot: good ones of every accepted type, and bad ones."""

import io
import json
import struct
import wave
import zipfile
import zlib

from PIL import ExifTags, Image


def jpeg_with_gps(size: tuple[int, int] = (64, 48), comment: bytes = b"") -> bytes:
    """A phone-like photo: camera model and GPS position in its EXIF."""
    image = Image.effect_noise(size, 60).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Kamen Phone 12"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 14.0, 10.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 28.0, 30.0),
    }
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, "JPEG", exif=exif, quality=90, **extra)
    return out.getvalue()


def image_bytes(fmt: str, mode: str = "RGB", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "P" else 3).save(out, fmt)
    return out.getvalue()


def heic() -> bytes | None:
    try:
        return image_bytes("HEIF")
    except (OSError, KeyError, ValueError):
        return None


def pdf(*, catalog: bytes = b"", objects: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF with a real cross-reference table (what every writer produces).

    ``catalog`` adds entries to the document catalog; ``objects`` are further objects,
    numbered from 4 on, for the catalog's entries to reference.
    """
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


def pdf_with_javascript() -> bytes:
    """Runs a script as soon as it is opened: /OpenAction pointing at a /JavaScript action."""
    return pdf(
        catalog=b"/OpenAction 4 0 R",
        objects=(b"<</Type/Action/S/JavaScript/JS(app.alert\\(1\\))>>",),
    )


def pdf_with_named_javascript() -> bytes:
    """Document-level scripts in the catalog's name tree, run by viewers on opening."""
    return pdf(catalog=b"/Names<</JavaScript 4 0 R>>", objects=(b"<</Names[(a) 5 0 R]>>",))


def pdf_with_launch() -> bytes:
    """A form field whose action starts a program."""
    return pdf(
        catalog=b"/AcroForm<</Fields[4 0 R]>>",
        objects=(b"<</FT/Btn/T(ok)/A<</S/Launch/F(cmd.exe)>>>>",),
    )


def pdf_with_additional_actions() -> bytes:
    return pdf(catalog=b"/AA<</WC 4 0 R>>", objects=(b"<</S/URI/URI(http://x.example)>>",))


def pdf_with_embedded_file() -> bytes:
    return pdf(
        catalog=b"/Names<</EmbeddedFiles<</Names[(x.exe) 4 0 R]>>>>",
        objects=(b"<</Type/Filespec/F(x.exe)/EF<</F 5 0 R>>>>",),
    )


def pdf_with_goto_open_action() -> bytes:
    """Opens at page one: a destination, not an action, and harmless."""
    return pdf(catalog=b"/OpenAction[3 0 R/Fit]")


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4(brand: bytes = b"isom", payload: int = 4096) -> bytes:
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    return ftyp + _box(b"mdat", bytes(range(256)) * (payload // 256))


def webm() -> bytes:
    # EBML header with DocType "webm", then a Segment of filler.
    return (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x18\x53\x80\x67" + bytes(512)
    )


def mp3() -> bytes:
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    frame = b"\xff\xfb\x90\x64" + bytes(413)
    return id3 + frame * 8


def amr() -> bytes:
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * 20


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(1600))
    return out.getvalue()


def chat_text() -> bytes:
    return (
        "2026-05-21 10:02:11 我：订单 20240521001 付款成功但没有到账\n"
        "2026-05-21 10:05:40 客服：已记录，将尽快处理\n"
    ).encode()


def chat_csv() -> bytes:
    return "时间,发送者,内容\n2026-05-21 10:02:11,我,付款成功但没有到账\n".encode()


def chat_json() -> bytes:
    return json.dumps(
        [{"time": "2026-05-21 10:02:11", "from": "我", "text": "付款成功但没有到账"}],
        ensure_ascii=False,
    ).encode()


def har_entry(
    *,
    url: str,
    status: int,
    started: str = "2026-05-21T02:03:04.123Z",
    method: str = "POST",
    wait: float = 30.5,
    error: str = "",
    body: str = "",
) -> dict:
    response = {
        "status": status,
        "statusText": {502: "Bad Gateway", 504: "Gateway Timeout", 200: "OK"}.get(status, ""),
        "headers": [],
        "content": {"size": len(body), "mimeType": "text/html", "text": body},
    }
    if error:
        response["_error"] = error
    return {
        "startedDateTime": started,
        "time": wait + 12.25,
        "request": {"method": method, "url": url, "headers": [], "queryString": []},
        "response": response,
        "timings": {
            "blocked": 1.5,
            "dns": 0.25,
            "connect": 10.0,
            "send": 0.5,
            "wait": wait,
            "receive": 0.0,
        },
    }


def har(entries: list[dict]) -> bytes:
    return json.dumps(
        {
            "log": {
                "version": "1.2",
                "creator": {"name": "WebInspector", "version": "537.36"},
                "pages": [],
                "entries": entries,
            }
        }
    ).encode()


def har_failed_submit() -> bytes:
    """Chrome's export of a checkout whose submit got 502 then 504 from the platform."""
    return har(
        [
            har_entry(url="https://shop.kamen.example.cn/", status=200, method="GET"),
            har_entry(
                url="https://shop.kamen.example.cn/api/order/submit?sku=1",
                status=502,
                started="2026-05-21T02:03:05.456Z",
                body="<html>502 Bad Gateway</html>",
            ),
            har_entry(
                url="https://shop.kamen.example.cn/api/order/submit?sku=1",
                status=504,
                started="2026-05-21T02:03:40.789Z",
                wait=60000.0,
            ),
            har_entry(url="https://cdn.kamen.example.cn/logo.png", status=404, method="GET"),
        ]
    )


# --- bad files ------------------------------------------------------------------------------


def truncated_jpeg(size: tuple[int, int] = (256, 256)) -> bytes:
    whole = jpeg_with_gps(size=size)
    return whole[: len(whole) // 2]


def decompression_bomb_png(side: int = 40_000) -> bytes:
    """A PNG that is a few hundred bytes but claims side × side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    return zip_bytes({"a.txt": bytes(20 * 1024 * 1024)})


def polyglot_jpeg_zip() -> bytes:
    """A JPEG that is also a ZIP (GIFAR-style): image viewers and unzip both open it."""
    return jpeg_with_gps() + zip_bytes({"payload.html": html_page()})


def polyglot_jpeg_html() -> bytes:
    return jpeg_with_gps(comment=html_page())


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>fetch('/api/v1/cases/').then(r=>r.text()).then(alert)</script></svg>"
    )


def html_after_png() -> bytes:
    """A real PNG with a web page appended: viewers show the image, a sniffing browser the page."""
    return image_bytes("PNG") + html_page()


def deep_json(size: int = 200_000) -> bytes:
    """Nested arrays, ``[[[[…]]]]``: tiny on disk, quadratic in an unbounded streaming parser."""
    return b"[" * (size // 2) + b"]" * (size // 2)


def long_number_json(digits: int = 5000) -> bytes:
    """An integer past Python's 4300-digit conversion limit."""
    return b'{"order": ' + b"9" * digits + b"}"


def huge_har(entries: int = 5000) -> bytes:
    """A well-formed HAR with many small entries (more values than a test limit allows)."""
    entry = har_entry(url="https://shop.kamen.example.cn/api/order/list", status=200)
    return har([entry] * entries)
