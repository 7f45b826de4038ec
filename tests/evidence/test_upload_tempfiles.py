"""A 3 MB upload, past Django's 2.5 MB in-memory limit, leaves no file in the temporary
directory on any exit: accepted, refused, an exception mid-request, the worker killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from evidence import services
from evidence.models import EvidenceItem
from evidence.uploadhandler import UnnamedTemporaryUploadedFile
from tests.api.conftest import client_for as api_client_for
from tests.evidence import samples
from tests.factories import case_filed
from tests.portal.conftest import client_for as portal_client_for

pytestmark = pytest.mark.django_db

THREE_MB = 3 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def upload_tmp(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def _video() -> bytes:
    return samples.mp4(payload=THREE_MB)


def _program() -> bytes:
    return b"MZ\x90\x00\x03" + bytes(THREE_MB)  # a Windows executable: refused


def _post(via: str, case, name: str, content: bytes):  # type: ignore[no-untyped-def]
    claimed = "video/mp4" if name.endswith(".mp4") else "application/octet-stream"
    file = SimpleUploadedFile(name, content, content_type=claimed)
    if via == "api":
        return api_client_for(case.complainant).post(
            f"/api/v1/cases/{case.pk}/evidence/",
            {"kind": "other", "file": file},
            format="multipart",
        )
    return portal_client_for(case.complainant, "en").post(
        reverse("portal:case_add_evidence", args=[case.reference]),
        {"kind": "other", "files": [file]},
        headers={"X-Requested-With": "fetch"},
    )


def test_the_upload_handlers_spool_to_unnamed_files() -> None:
    assert django_settings.FILE_UPLOAD_HANDLERS[-1] == (
        "evidence.uploadhandler.UnnamedTemporaryFileUploadHandler"
    )
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE < THREE_MB


@pytest.mark.parametrize("via", ["api", "portal"])
def test_an_accepted_upload_leaves_nothing(complainant, upload_tmp, via) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = _post(via, case, "recording.mp4", _video())
    assert response.status_code in (200, 201), response.content
    assert EvidenceItem.objects.filter(bundle__case=case, size=len(_video())).exists()
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize("via", ["api", "portal"])
def test_a_refused_upload_leaves_nothing(complainant, upload_tmp, via) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = _post(via, case, "invoice.exe", _program())
    assert response.status_code == 400, response.content
    assert not EvidenceItem.objects.filter(bundle__case=case).exists()
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize("via", ["api", "portal"])
def test_an_exception_mid_request_leaves_nothing(complainant, upload_tmp, via, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The view fails while the upload is spooled on disk: even then, the spooled file
    has no entry in the directory, so there is nothing a crash could leave."""
    case = case_filed(complainant=complainant)
    seen: dict[str, object] = {}

    def crash(file, **kwargs):  # type: ignore[no-untyped-def]
        spooled = isinstance(file, UnnamedTemporaryUploadedFile)
        seen["spooled"] = spooled and (file.size or 0) > THREE_MB
        seen["entries"] = list(upload_tmp.iterdir())
        raise RuntimeError("worker fell over")

    monkeypatch.setattr(services, "upload_receive", crash)
    # the request dies before LocaleMiddleware's response: keep its language to this test
    with translation.override(None), pytest.raises(RuntimeError, match="worker fell over"):
        _post(via, case, "recording.mp4", _video())
    assert seen == {"spooled": True, "entries": []}
    assert list(upload_tmp.iterdir()) == []


# What a SIGKILLed worker leaves: a child process parses a multipart body from a pipe; the
# parent sends 3 MB of the file and holds the rest back, so the child is blocked mid-upload
# with the bytes spooled on disk when it is killed.

CHILD = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
import django
django.setup()
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
settings.FILE_UPLOAD_TEMP_DIR = sys.argv[1]
settings.FILE_UPLOAD_HANDLERS = [sys.argv[2]]
request = WSGIRequest({
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/",
    "CONTENT_TYPE": "multipart/form-data; boundary=BOUNDARY",
    "CONTENT_LENGTH": str(64 * 1024 * 1024),
    "wsgi.input": sys.stdin.buffer,
    "SERVER_NAME": "testserver",
    "SERVER_PORT": "80",
})
request.FILES  # reads until the parent's pipe runs dry, then blocks
"""


def _spooled_bytes(pid: int, directory: Path) -> int:
    """Bytes the process holds open in files it created in ``directory`` (named or not)."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if target.startswith(str(directory)):
                total += fd.stat().st_size
        except OSError:
            continue
    return total


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize(
    ("handler", "leaves"),
    [
        ("evidence.uploadhandler.UnnamedTemporaryFileUploadHandler", 0),
        # Django's own, for contrast: this is the leak the handler above closes.
        ("django.core.files.uploadhandler.TemporaryFileUploadHandler", 1),
    ],
)
def test_a_worker_killed_mid_upload_leaves_nothing(tmp_path, handler, leaves) -> None:  # type: ignore[no-untyped-def]
    spool = tmp_path / "spool"
    spool.mkdir()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(spool), handler],
        stdin=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdin is not None
    try:
        child.stdin.write(
            b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; '
            b'filename="recording.mp4"\r\nContent-Type: video/mp4\r\n\r\n' + _video()
        )
        child.stdin.flush()
        for _ in range(1000):  # until the child has spooled most of it (about a second)
            if _spooled_bytes(child.pid, spool) > 2 * 1024 * 1024 or child.poll() is not None:
                break
            time.sleep(0.01)
        assert child.poll() is None, "the child should be blocked mid-upload"
        assert _spooled_bytes(child.pid, spool) > 2 * 1024 * 1024
        entries_while_uploading = len(list(spool.iterdir()))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()

    assert entries_while_uploading == leaves
    assert len(list(spool.iterdir())) == leaves
