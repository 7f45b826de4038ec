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


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


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
