"""A 200 MB screen recording uploaded through evidence_add: memory must not grow with it.

Goal (issue 4): peak memory growth under 64 MB. The video is written to disk in 1 MB
pieces first; the upload is then streamed from it the way Django hands over a
TemporaryUploadedFile.
"""

import json
import os
import shutil
import tempfile

from evidence_common import RssSampler, django_up

SIZE_MB = 200


def make_video(path: str) -> None:
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    mdat_size = SIZE_MB * 1024 * 1024 - len(ftyp)
    piece = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        handle.write(ftyp + mdat_size.to_bytes(4, "big") + b"mdat")
        written = len(ftyp) + 8
        while written < SIZE_MB * 1024 * 1024:
            chunk = piece[: SIZE_MB * 1024 * 1024 - written]
            handle.write(chunk)
            written += len(chunk)


def main() -> None:
    os.environ["EVIDENCE_MAX_FILE_BYTES"] = str((SIZE_MB + 10) * 1024 * 1024)
    django_up(database=True)
    from django.conf import settings
    from django.core.files import File
    from django.utils import timezone

    from evidence.services import bundle_create, evidence_add
    from tests.factories import UserFactory

    path = tempfile.mktemp(suffix=".mp4")
    make_video(path)
    owner = UserFactory(username="bench")
    bundle = bundle_create(owner=owner, now=timezone.now())
    with open(path, "rb") as warm:  # first call pays for imports and queries' setup
        evidence_add(
            bundle=bundle,
            actor=owner,
            file=File(warm, name="warm.mp4"),
            kind="screen_recording",
        )
    bundle = bundle_create(owner=owner, now=timezone.now())
    with open(path, "rb") as handle, RssSampler() as memory:
        item = evidence_add(
            bundle=bundle,
            actor=owner,
            file=File(handle, name="screen.mp4"),
            kind="screen_recording",
        )
    os.unlink(path)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "evidence_upload",
                "bytes": item.size,
                "content_type": item.content_type,
                "seconds": round(memory.seconds, 3),
                "mb_per_second": round(item.size / 1024 / 1024 / memory.seconds, 1),
                "rss_baseline_mb": round(memory.baseline, 1),
                "peak_growth_mb": round(memory.growth, 1),
                "goal_peak_growth_mb": 64,
                "ok": memory.growth < 64,
            }
        )
    )


if __name__ == "__main__":
    main()
