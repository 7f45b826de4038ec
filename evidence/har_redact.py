"""A redacted copy of a HAR network log, for every recipient but the court.

A browser's HAR holds the complainant's session: cookies, ``Set-Cookie``, bearer tokens
in ``Authorization``, tokens in query strings and bodies, and, on a card shop, the card
keys in the order page's response. Whoever gets those can sign in as the complainant or
redeem the key, so a platform, a regulator or the public gets a copy without them; the
court gets the original (民事诉讼法 art. 66). The copy is written as the original is
read, one JSON event at a time (ijson), so memory stays bounded whatever the log's size;
only one header, cookie or parameter object (a name and a value) is held at a time.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import ijson

from complaints.redaction import MASK, Recipient, redact

# Headers whose whole value is a credential (RFC 9110 §11.6.2 Authorization, RFC 6265
# Cookie / Set-Cookie) or a site's own token header.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "set-cookie2",
        "www-authenticate",
        "proxy-authenticate",
    }
)
# Names of headers, query parameters, form fields and JSON fields that carry secrets.
_SECRET_NAME = re.compile(
    r"token|auth|session|sess_?id|^sid$|secret|passw|pwd|^pass$|api[-_]?key|^key$|sign|"
    r"ticket|csrf|xsrf|cookie|otp|verify_?code|captcha|cdk|card_?key|cardkey|card_?pwd|"
    r"card_?secret|kami|卡密|密码|^code$|redeem|activation|serial|^pin$",
    re.IGNORECASE,
)
_NAMED_OBJECT = re.compile(r"\.(?:headers|cookies|queryString|params)\.item$")
_BODY = re.compile(r"\.(?:postData\.text|content\.text)$")
_URL = re.compile(r"\.(?:request\.url|redirectURL)$|^log\.pages\.item\.title$")
# In a body: "name": "value" (JSON) and name=value (forms) whose name is a secret.
_JSON_FIELD = re.compile(r'("(?P<name>[^"\\]{1,64})"\s*:\s*")(?P<value>(?:[^"\\]|\\.)*)(")')
_FORM_FIELD = re.compile(r"(?<![\w%])(?P<name>[A-Za-z_][\w.\-\[\]]{0,63})=(?P<value>[^&\s\"']*)")


def _secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name or ""))


def _text(value: str) -> str:
    return redact(value, recipient=Recipient.PUBLIC)


def _body(value: str) -> str:
    value = _JSON_FIELD.sub(
        lambda m: m.group(1) + MASK + m.group(4) if _secret_name(m.group("name")) else m.group(0),
        value,
    )
    value = _FORM_FIELD.sub(
        lambda m: f"{m.group('name')}={MASK}" if _secret_name(m.group("name")) else m.group(0),
        value,
    )
    return _text(value)


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        return _text(value)
    if not parts.query:
        return value
    pairs = [
        (k, MASK if _secret_name(k) else _text(v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    query = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='*')}" for k, v in pairs)
    return urlunsplit(parts._replace(query=query))


class _Writer:
    """JSON out of ijson's events, compact, numbers exactly as read."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.stack: list[list[Any]] = []  # [kind, first]

    def _w(self, s: str) -> None:
        self.out.write(s.encode())

    def event(self, event: str, value: Any) -> None:
        if event in ("end_map", "end_array"):
            self.stack.pop()
            self._w("}" if event == "end_map" else "]")
            return
        if event == "map_key":
            top = self.stack[-1]
            if not top[1]:
                self._w(",")
            top[1] = False
            self._w(json.dumps(value, ensure_ascii=False) + ":")
            return
        if self.stack and self.stack[-1][0] == "array":
            if not self.stack[-1][1]:
                self._w(",")
            self.stack[-1][1] = False
        if event == "start_map":
            self.stack.append(["map", True])
            self._w("{")
        elif event == "start_array":
            self.stack.append(["array", True])
            self._w("[")
        elif event == "number":
            self._w(str(value) if not isinstance(value, Decimal) else format(value, "f"))
        else:
            self._w(json.dumps(value, ensure_ascii=False))


def _named_object(events: list[tuple[str, str, Any]], prefix: str) -> Iterator[tuple[str, Any]]:
    """One header / cookie / parameter object, its value masked by its name."""
    top = [(e, v) for p, e, v in events]
    name = ""
    for i, (e, v) in enumerate(top[:-1]):
        if e == "map_key" and v == "name" and top[i + 1][0] == "string":
            name = str(top[i + 1][1])
    cookie = prefix.endswith(".cookies.item")
    whole = cookie or name.lower() in SECRET_HEADERS or _secret_name(name)
    after_value_key = False
    depth = 0
    for e, v in top:
        if e in ("start_map", "start_array"):
            depth += 1
        elif e in ("end_map", "end_array"):
            depth -= 1
        if depth == 1 and e == "map_key":
            after_value_key = v == "value"
            yield e, v
            continue
        if e == "string":
            if after_value_key and depth == 1:
                v = MASK if whole else _body(v)
            elif not (depth == 1 and v == name):
                v = _text(v)
        yield e, v
        if depth == 1 and e != "map_key":
            after_value_key = False


def har_redact(source: IO[bytes], target: IO[bytes]) -> dict[str, Any]:
    """Write the redacted copy of the HAR in ``source`` to ``target``; its size and SHA-256.

    Raises ``ijson.JSONError`` on a broken log (the upload's own analysis refuses those
    first).
    """
    hasher = hashlib.sha256()
    size = 0

    class _Out:
        def write(self, data: bytes) -> None:
            nonlocal size
            hasher.update(data)
            size += len(data)
            target.write(data)

    writer = _Writer(_Out())  # type: ignore[arg-type]
    held: list[tuple[str, str, Any]] | None = None
    held_prefix = ""
    depth = 0
    for prefix, event, value in ijson.parse(source, use_float=False):
        if held is not None:
            held.append((prefix, event, value))
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    for e, v in _named_object(held, held_prefix):
                        writer.event(e, v)
                    held = None
            continue
        if event == "start_map" and _NAMED_OBJECT.search(prefix):
            held, held_prefix, depth = [(prefix, event, value)], prefix, 1
            continue
        if event == "string":
            if _BODY.search(prefix):
                value = _body(value)
            elif _URL.search(prefix):
                value = _url(value)
            else:
                value = _text(value)
        writer.event(event, value)
    return {"size": size, "sha256": hasher.hexdigest()}
