"""The evidence package of a case holding 1 GB of files, streamed: memory must stay flat.

Goal (issue 4): peak memory growth under 100 MB. Five 200 MB recordings are stored
(one file written, the others hard links to it, to spare the disk); the package is then
streamed to a counting sink, as the download view streams it to the client.
"""

import hashlib
import json
import os
import shutil
from datetime import timedelta

from evidence_common import RssSampler, django_up

FILES = 5
FILE_MB = 200


def main() -> None:
    django_up(database=True)
    from django.conf import settings
    from django.utils import timezone

    from evidence.models import EvidenceItem
    from evidence.package import package_build
    from evidence.services import bundle_create
    from evidence.storage import evidence_storage
    from tests.factories import UserFactory, case_filed

    owner = UserFactory(username="bench")
    now = timezone.now()
    bundle = bundle_create(owner=owner, now=now)
    storage = evidence_storage()
    first = f"bundles/{bundle.pk}/recording-1"
    os.makedirs(os.path.dirname(storage.path(first)), exist_ok=True)
    piece = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    with open(storage.path(first), "wb") as handle:
        for _ in range(FILE_MB):
            handle.write(piece)
            digest.update(piece)
    for n in range(1, FILES + 1):
        name = f"bundles/{bundle.pk}/recording-{n}"
        if n > 1:
            os.link(storage.path(first), storage.path(name))
        item = EvidenceItem(
            bundle=bundle,
            kind="screen_recording",
            original_name=f"录屏{n}.mp4",
            content_type="video/mp4",
            size=FILE_MB * 1024 * 1024,
            sha256=digest.hexdigest(),
            uploaded_by=owner,
            uploaded_at=now + timedelta(seconds=n),
        )
        item.file.name = name
        item.save()
    case = case_filed(complainant=owner, bundle=bundle)

    sent = 0
    with RssSampler() as memory:
        stream = package_build(case)
        announced = len(stream)
        for chunk in stream:
            sent += len(chunk)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    print(
        json.dumps(
            {
                "bench": "evidence_package",
                "evidence_bytes": FILES * FILE_MB * 1024 * 1024,
                "zip_bytes": sent,
                "content_length_matches": announced == sent,
                "seconds": round(memory.seconds, 3),
                "mb_per_second": round(sent / 1024 / 1024 / memory.seconds, 1),
                "rss_baseline_mb": round(memory.baseline, 1),
                "peak_growth_mb": round(memory.growth, 1),
                "goal_peak_growth_mb": 100,
                "ok": memory.growth < 100 and announced == sent,
            }
        )
    )


if __name__ == "__main__":
    main()
