"""Email pieces without I/O: templates (escaping, time zones), Message-IDs, SMTP error sorting, settings."""

from __future__ import annotations

import uuid

import aiosmtplib
import pytest

from backend.features.notifications import templates
from backend.platform.mail import message
from backend.platform.mail.smtp import PermanentMailError, TransientMailError, classify
from backend.settings import Settings, SettingsError

HOSTILE = {
    "full_name": '<script>alert("x")</script>',
    "company": "Acme & <Sons>",
    "role": "Engineer\r\nBcc: victim@example.com",
    "due_at": "2026-03-02T08:30:00+00:00",
    "time_zone": "Europe/Paris",
    "link": 'https://app.example/applications/1?a=1&b="2"',
}


def test_html_bodies_escape_every_value_and_subjects_stay_on_one_line() -> None:
    rendered = templates.render("follow_up_reminder", HOSTILE)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "Acme &amp; &lt;Sons&gt;" in rendered.html
    assert 'href="https://app.example/applications/1?a=1&amp;b=&quot;2&quot;"' in rendered.html
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject == "Follow up: Engineer Bcc: victim@example.com at Acme & <Sons>"
    assert "Hello <script>" in rendered.text  # plain text is not HTML: shown as written
    assert "Mon 2 Mar 2026, 09:30 (Europe/Paris)" in rendered.text  # the user's time zone


def test_every_template_renders_with_a_link_and_unknown_ones_raise() -> None:
    context = {"full_name": "Ada", "link": "http://x/?token=t", "expires_at": "2026-01-01T00:00:00+00:00"}
    for name in templates.TEMPLATES:
        rendered = templates.render(name, {**context, "company": "C", "role": "R", "due_at": "2026-01-01T00:00Z"})
        assert "http://x/?token=t" in rendered.text and "Hello Ada," in rendered.text and rendered.subject
    with pytest.raises(KeyError):
        templates.render("nope", context)
    assert templates.local_time("not a time", "UTC") == "not a time"


def test_the_message_id_is_derived_from_the_outbox_row() -> None:
    email_id = uuid.uuid4()
    rendered = templates.render("verify_email", {"full_name": "Ada", "link": "http://x", "expires_at": ""})
    first = message.build(email_id, "CC <no-reply@mail.example>", "ada@example.com", rendered)
    second = message.build(email_id, "CC <no-reply@mail.example>", "ada@example.com", rendered)
    assert first["Message-ID"] == second["Message-ID"] == f"<{email_id}@mail.example>"
    assert first.get_body(("plain",)) is not None and first.get_body(("html",)) is not None


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (aiosmtplib.SMTPConnectError("refused"), TransientMailError),
        (aiosmtplib.SMTPServerDisconnected("gone"), TransientMailError),
        (ConnectionRefusedError(), TransientMailError),
        (TimeoutError(), TransientMailError),
        (aiosmtplib.SMTPResponseException(451, "try later"), TransientMailError),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), TransientMailError),
        (aiosmtplib.SMTPDataError(554, "rejected"), PermanentMailError),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no", "a@b.c")]), PermanentMailError),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(452, "full", "a@b.c")]), TransientMailError),
    ],
)
def test_smtp_errors_are_sorted_and_their_text_carries_no_address(error: BaseException, kind: type) -> None:
    sorted_error = classify(error)
    assert type(sorted_error) is kind
    assert "a@b.c" not in str(sorted_error)


def test_smtp_settings_from_the_environment() -> None:
    mail = Settings.from_env(
        {"SMTP_HOST": "smtp.example", "SMTP_STARTTLS": "true", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}
    ).mail
    assert (mail.host, mail.port, mail.starttls, mail.tls, mail.username) == ("smtp.example", 1025, True, False, "u")
    implicit = Settings.from_env({"SMTP_TLS": "true", "SMTP_FROM": "CC <cc@example.com>"}).mail
    assert (implicit.port, implicit.tls, implicit.starttls) == (465, True, False)
    assert implicit.mail_from == "CC <cc@example.com>"
    assert Settings.from_env({}).mail.starttls is None  # upgrade when the server offers it
    for env, name in (
        ({"SMTP_TLS": "true", "SMTP_STARTTLS": "true"}, "SMTP_TLS"),
        ({"SMTP_USERNAME": "u"}, "SMTP_PASSWORD"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
        ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env(env)
