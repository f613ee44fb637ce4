"""Compose emails from txt + html templates and queue them in the outbox."""
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app, render_template

from eventhub.extensions import db
from eventhub.models import OutboxMessage, Registration, utcnow

# Session.info key under which queued messages wait for the after-commit dispatch.
QUEUED_KEY = "eventhub.outbox.queued"

# Deferred messages: renderer name -> function(message) -> EmailMessage, registered by features.
RENDERERS: dict = {}


class Obsolete(Exception):
    """Raised by a renderer when the message is no longer true and must not be sent."""


def renderer(name: str):
    """Register a function that composes deferred messages of this name."""
    def decorate(function):
        RENDERERS[name] = function
        return function
    return decorate


def compose_email(*, to_address: str, to_name: str, subject: str, template: str, context: dict,
                  calendar: bytes | None = None, method: str | None = None) -> EmailMessage:
    """Build a text + HTML message from templates/email/<template>.txt and .html.

    With a calendar, the shape clients recognise as an invitation: multipart/mixed holding
    multipart/alternative (text, html, text/calendar with the iTIP method) and invite.ics.
    """
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    # Headers are one line: whatever a title or name holds, it cannot add a header of its own.
    subject, to_name = " ".join(subject.split()), " ".join(to_name.split())
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = Address(display_name=to_name, addr_spec=to_address) if to_name else to_address
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        ics = calendar.decode("utf-8")
        message.add_alternative(ics, subtype="calendar", params={"method": method})
        message.add_attachment(ics, subtype="calendar", filename="invite.ics", params={"method": method})
    return message


def queue_email(
    *,
    kind: str,
    to_address: str,
    to_name: str = "",
    subject: str,
    template: str,
    context: dict,
    registration: Registration | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; it is sent once that commits."""
    message = compose_email(
        to_address=to_address, to_name=to_name, subject=subject, template=template, context=context
    )
    entry = OutboxMessage(
        kind=kind,
        to_address=to_address,
        subject=subject,
        # CRLF line ends, as SMTP requires; .eml readers accept them too.
        raw=message.as_string(policy=email.policy.SMTP),
        registration=registration,
    )
    return _enqueue(entry)


def queue_deferred(
    *, kind: str, to_address: str, subject: str, renderer_name: str, payload: dict,
    registration: Registration | None = None,
) -> OutboxMessage:
    """Queue a message to be composed at delivery: a cheap insert for hot paths that hold locks."""
    if renderer_name not in RENDERERS:
        raise KeyError(f"no outbox renderer named {renderer_name!r}")
    entry = OutboxMessage(kind=kind, to_address=to_address, subject=subject, raw="", renderer=renderer_name,
                          payload=payload, registration=registration)
    return _enqueue(entry)


def render_deferred(message: OutboxMessage) -> None:
    """Compose a deferred message now (in the current session) and keep the result."""
    composed = RENDERERS[message.renderer](message)
    message.raw = composed.as_string(policy=email.policy.SMTP)


def _enqueue(entry: OutboxMessage) -> OutboxMessage:
    """Add to the session and note it for the after-commit delivery."""
    db.session.add(entry)
    db.session.info.setdefault(QUEUED_KEY, []).append(entry)
    return entry


def _sender_domain() -> str:
    """The domain of MAIL_FROM, so Message-IDs look like the sender's own."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "localhost"
