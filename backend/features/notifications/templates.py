"""The emails' texts: a subject, a plain-text body and an HTML body per template, filled
from the outbox row's context. Every value is escaped in the HTML body; links are only ever the ones
the service built from PUBLIC_URL.

Templates: `verify_email` (sent on sign-up and on request), `password_reset` (context: full_name,
link, expires_at), `account_exists` (full_name, link: a sign-up with an address that has an account),
`follow_up_reminder` (full_name, company, role, due_at, time_zone, link), `interview_reminder`
(full_name, company, role, what, soon, starts_at, duration_minutes, time_zone, link) and `status_change`
(full_name, company, role, old_status, new_status, changed_at, time_zone, link).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

from backend.platform.mail.message import Rendered

_HTML = Template(
    """<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>Hello $full_name,</p>
$paragraphs
<p><a href="$link" style="display: inline-block; padding: 8px 16px; background: #2457d6; color: #fff;
text-decoration: none; border-radius: 4px;">$action</a></p>
<p style="font-size: 0.9em; color: #555;">Or paste this address into your browser:<br>$link</p>
$footer
<p style="font-size: 0.8em; color: #777;">Career Copilot</p>
</body></html>
"""
)

_TEXT = Template("Hello $full_name,\n\n$paragraphs\n\n$action: $link\n\n$footer\n-- \nCareer Copilot\n")


class _Spec:
    def __init__(self, subject: str, paragraphs: list[str], action: str, footer: str = "") -> None:
        self.subject, self.paragraphs, self.action, self.footer = subject, paragraphs, action, footer


_SPECS: dict[str, _Spec] = {
    "verify_email": _Spec(
        "Finish signing up: confirm your email address",
        ["To finish signing up for Career Copilot, please confirm that this is your email address."],
        "Confirm my email",
        "The link works once and expires at $expires_at. If you did not create an account, ignore this email.",
    ),
    "account_exists": _Spec(
        "You already have a Career Copilot account",
        [
            "Someone (hopefully you) tried to sign up for Career Copilot with this email address, "
            "but it already has an account, so nothing was created or changed.",
            "Sign in with your password. If you forgot it, choose \u201cForgot your password?\u201d on the "
            "sign-in page to get a reset link.",
        ],
        "Sign in",
        "If you did not try to sign up, ignore this email: your account stays as it is.",
    ),
    "password_reset": _Spec(
        "Reset your password",
        ["Someone (hopefully you) asked to reset the password of your Career Copilot account."],
        "Choose a new password",
        "The link works once and expires at $expires_at; every signed-in device will be signed out. "
        "If you did not ask for this, ignore this email: your password stays as it is.",
    ),
    "follow_up_reminder": _Spec(
        "Follow up: $role at $company",
        ["It is time to follow up on your application for $role at $company (planned for $due_at)."],
        "Open the application",
        "You get this email because follow-up reminders are on in your notification settings.",
    ),
    "interview_reminder": _Spec(
        "Interview $soon: $role at $company",
        [
            "Your $what for $role at $company starts $starts_at ($duration_minutes minutes).",
            "The application holds the place or link, the people and your preparation notes.",
        ],
        "Open the application",
        "You get this email because interview reminders are on in your notification settings.",
    ),
    "status_change": _Spec(
        "$company: $old_status -> $new_status",
        ["Your application for $role at $company moved from $old_status to $new_status ($changed_at)."],
        "Open the application",
        "You get this email because status-change emails are on in your notification settings.",
    ),
}

TEMPLATES = frozenset(_SPECS)


def local_time(iso: str, time_zone: str) -> str:
    """An ISO timestamp shown in the user's time zone, e.g. `Mon 2 Mar 2026, 09:30 (Europe/Paris)`."""
    try:
        moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(time_zone or "UTC"))
    except (ValueError, KeyError):
        return iso
    return f"{moment:%a %-d %b %Y, %H:%M} ({time_zone or 'UTC'})"


def render(template: str, context: Mapping[str, Any]) -> Rendered:
    """The email of `template` filled from `context`; KeyError for an unknown template."""
    spec = _SPECS[template]
    zone = str(context.get("time_zone") or "UTC")
    values = {key: str(value) for key, value in context.items()}
    for key in ("expires_at", "due_at", "changed_at", "starts_at"):
        if key in values:
            values[key] = local_time(values[key], zone)
    values.setdefault("full_name", "there")

    def fill(text: str, escape: bool) -> str:
        safe = {k: html.escape(v) for k, v in values.items()} if escape else values
        return Template(text).safe_substitute(safe)

    subject = fill(spec.subject, False)
    text = _TEXT.substitute(
        full_name=values["full_name"],
        paragraphs="\n\n".join(fill(p, False) for p in spec.paragraphs),
        action=spec.action,
        link=values.get("link", ""),
        footer=fill(spec.footer, False),
    )
    body = _HTML.substitute(
        full_name=html.escape(values["full_name"]),
        paragraphs="\n".join(f"<p>{fill(p, True)}</p>" for p in spec.paragraphs),
        action=html.escape(spec.action),
        link=html.escape(values.get("link", ""), quote=True),
        footer=f'<p style="font-size: 0.9em; color: #555;">{fill(spec.footer, True)}</p>' if spec.footer else "",
    )
    return Rendered(subject=" ".join(subject.split())[:200], text=text, html=body)
