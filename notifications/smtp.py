"""Django's SMTP backend, keeping what the server answered when it accepted a message.

``django.core.mail.backends.smtp.EmailBackend`` discards both the reply to the end of
DATA (``250 2.0.0 Ok: queued as 4Fz1xK``, the server taking responsibility for delivery,
RFC 5321 §4.1.1.4 and §6.1) and the recipients it refused while accepting the rest
(``smtplib.SMTP.sendmail`` returns them). This backend puts both on the message it sent,
as ``message.smtp_accepted`` (an ``Accepted``), so the outbox can record the acceptance
before it marks the email sent, and a retry after a crash in between can see that the
server already has it (notifications/outbox.py).

Selected for every ``smtp://`` / ``smtp+tls://`` / ``smtp+ssl://`` ``EMAIL_URL`` (see
config/settings/base.py). Other backends report nothing; the outbox then records the
acceptance with an empty reply when ``send()`` returns, which is all they tell.
"""

import smtplib
from dataclasses import dataclass, field
from typing import Any

from django.core.mail.backends import smtp


@dataclass(frozen=True)
class Accepted:
    """The server's final reply to DATA, and the recipients it refused (address → reply)."""

    reply: str
    refused: dict[str, str] = field(default_factory=dict)


def _text(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


class _ReplyKeeping:
    """Mixed into smtplib's client: the last DATA reply and ``sendmail``'s refusals."""

    last_data_reply: tuple[int, bytes] | None = None
    last_refused: dict[str, tuple[int, bytes]] | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        code, reply = super().data(msg)  # type: ignore[misc]
        self.last_data_reply = (code, reply)
        return code, reply

    def sendmail(self, *args: Any, **kwargs: Any) -> dict[str, tuple[int, bytes]]:
        self.last_data_reply = self.last_refused = None
        refused = super().sendmail(*args, **kwargs)  # type: ignore[misc]
        self.last_refused = dict(refused)
        return refused


class ReplyKeepingSMTP(_ReplyKeeping, smtplib.SMTP):
    pass


class ReplyKeepingSMTPSSL(_ReplyKeeping, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """``smtp.EmailBackend`` that sets ``message.smtp_accepted`` on each message sent."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return ReplyKeepingSMTPSSL if self.use_ssl else ReplyKeepingSMTP

    def _send(self, email_message: Any) -> bool:
        sent = super()._send(email_message)  # type: ignore[misc]  # private, not in the stubs
        connection = self.connection
        reply = getattr(connection, "last_data_reply", None)
        if sent and reply is not None:
            refused = getattr(connection, "last_refused", None) or {}
            email_message.smtp_accepted = Accepted(
                reply=_text(*reply),
                refused={address: _text(*answer) for address, answer in refused.items()},
            )
        return sent
