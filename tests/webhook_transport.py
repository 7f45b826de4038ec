"""The webhook transport of the test settings: nothing leaves the test run.

Like Django's locmem email backend: every POST is kept in ``calls`` and answered 200.
"""

calls: list[dict] = []


def accept(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    calls.append({"url": url, "body": body, "headers": headers})
    return 200
