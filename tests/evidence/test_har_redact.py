"""A HAR's redacted copy: stored at upload, given to all but the court, in bounded memory."""

import io
import json
import zipfile

from casework.packages import case_package
from evidence.har_redact import har_redact
from tests.evidence import samples
from tests.factories import case_filed

SESSION = "sess-0123456789abcdef"
KEY = "ＡＢＣＤ－１２３４－ＥＦＧＨ－５６７８"


def _har() -> bytes:
    entry = samples.har_entry(
        url=f"https://shop.kamen.example.cn/order/submit?access_token={SESSION}&sku=42",
        status=502,
        body=json.dumps({"cardKey": "QWERTYUIOPASDFGH", "msg": f"卡密：{KEY}"}, ensure_ascii=False),
    )
    entry["request"]["headers"] = [
        {"name": "Cookie", "value": f"sid={SESSION}"},
        {"name": "Authorization", "value": f"Bearer {SESSION}"},
        {"name": "Accept", "value": "application/json"},
    ]
    entry["request"]["cookies"] = [{"name": "sid", "value": SESSION}]
    entry["request"]["postData"] = {
        "mimeType": "application/x-www-form-urlencoded",
        "text": f"token={SESSION}&qty=1",
    }
    entry["response"]["headers"] = [{"name": "Set-Cookie", "value": f"sid={SESSION}; HttpOnly"}]
    return samples.har([entry])


def test_the_copy_has_no_cookies_tokens_or_card_keys_and_is_still_a_har() -> None:
    out = io.BytesIO()
    result = har_redact(io.BytesIO(_har()), out)
    copy = out.getvalue()
    assert result["size"] == len(copy)
    for secret in (SESSION, "QWERTYUIOPASDFGH", KEY, "ABCD-1234"):
        assert secret.encode() not in copy
    har = json.loads(copy)
    entry = har["log"]["entries"][0]
    assert entry["response"]["status"] == 502 and entry["timings"]["wait"] == 30.5
    assert "sku=42" in entry["request"]["url"]
    assert {"name": "Accept", "value": "application/json"} in entry["request"]["headers"]


def test_an_uploaded_har_gets_its_copy_and_only_the_court_gets_the_original(
    complainant, bundle, add
) -> None:  # type: ignore[no-untyped-def]
    item = add(bundle, "submit.har", _har(), kind="network_log")
    assert item.redacted_file and SESSION.encode() not in item.redacted_file.read()
    assert item.analysis["redacted_copy"]["size"] == item.redacted_file.size
    case = case_filed(complainant=complainant, bundle=bundle)
    for recipient, secret_inside in (("platform", False), ("public", False), ("court", True)):
        archive = zipfile.ZipFile(
            io.BytesIO(b"".join(case_package(case, language="zh-hans", recipient=recipient)))
        )
        [entry] = json.loads(archive.read("manifest.json"))["files"]
        assert (SESSION.encode() in archive.read(entry["file"])) is secret_inside
        assert entry["copy"] == ("original" if secret_inside else "redacted")
