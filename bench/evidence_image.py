"""A 12-megapixel phone photo with EXIF GPS: verified, hashed, stripped and thumbnailed.

Goal (issue 4): at most 0.5 s, peak memory of the process under 200 MB.
The photo is made in a child process so that making it does not count in the peak.
"""

import json
import multiprocessing
import os
import tempfile
import time

from evidence_common import django_up, peak_rss_mb


def make_photo(path: str, orientation: int = 1) -> None:
    from PIL import ExifTags, Image

    size = (4000, 3000)
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Kamen"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 14.0, 10.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 28.0, 30.0),
    }
    image.save(path, "JPEG", quality=88, exif=exif)


def process(path: str) -> tuple[float, float, object, object]:
    from django.core.files import File

    from evidence.validation import image_derive, type_detect, upload_receive

    with open(path, "rb") as handle:
        upload = File(handle, name="IMG_0001.jpg")
        started, cpu = time.perf_counter(), time.process_time()
        with upload_receive(upload, max_bytes=50 * 1024 * 1024) as received:
            type_detect(received, claimed_name="IMG_0001.jpg", claimed_type="image/jpeg")
            derived = image_derive(received)
        return time.perf_counter() - started, time.process_time() - cpu, received, derived


def main() -> None:
    upright, rotated = tempfile.mktemp(suffix=".jpg"), tempfile.mktemp(suffix=".jpg")
    for path, orientation in ((upright, 1), (rotated, 6)):
        child = multiprocessing.Process(target=make_photo, args=(path, orientation))
        child.start()
        child.join()
    django_up(database=False)
    warm = tempfile.mktemp(suffix=".jpg")  # a web worker has loaded the codecs long before
    from PIL import Image

    Image.new("RGB", (64, 48)).save(warm, "JPEG")
    process(warm)
    seconds, cpu_seconds, received, derived = process(upright)
    rotated_seconds, rotated_cpu_seconds, _, _ = process(rotated)
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "bench": "evidence_image",
                "pixels": derived.width * derived.height,
                "jpeg_bytes": received.size,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "seconds_portrait_orientation_6": round(rotated_seconds, 3),
                "cpu_seconds_portrait_orientation_6": round(rotated_cpu_seconds, 3),
                "load_average_1min": os.getloadavg()[0],
                "peak_rss_mb": round(peak, 1),
                "redacted_bytes": len(derived.redacted),
                "thumbnail_bytes": len(derived.thumbnail),
                "goal_seconds": 0.5,
                "goal_peak_rss_mb": 200,
                "ok": max(seconds, rotated_seconds) <= 0.5 and peak < 200,
            }
        )
    )


if __name__ == "__main__":
    main()
