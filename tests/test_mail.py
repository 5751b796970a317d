"""E-mail: sending a notification over SMTP (the real-server round trips are in test_breach.py)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from dpa_kit import mail
from dpa_kit.exceptions import NotificationError, UsageError


def test_smtp_errors_become_notification_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise smtplib.SMTPConnectError(421, b"busy")

    monkeypatch.setattr(smtplib, "SMTP", Refusing)
    with pytest.raises(NotificationError) as info:
        mail.send(EmailMessage(), mail.SmtpConfig("smtp://localhost:2525"))
    assert isinstance(info.value.__cause__, smtplib.SMTPException)
    with pytest.raises(UsageError):
        mail.send(EmailMessage(), mail.SmtpConfig("http://example.org"))
