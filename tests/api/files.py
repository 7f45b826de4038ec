"""Honest uploads for the API tests: real files, named and typed for what they are."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.evidence import samples


def png_bytes(colour: str | tuple[int, int, int] = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()
PDF = samples.pdf()


def png_upload(name: str = "支付凭证.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def pdf_upload(name: str = "流水.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def text_upload(name: str = "chat.txt", text: str = "客服：请稍等") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")
