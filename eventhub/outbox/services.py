"""Compose emails from txt + html templates and queue them in the outbox."""
import enum
import secrets
from collections.abc import Callable, Mapping
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import TypedDict

from flask import current_app, render_template

from eventhub.extensions import db
from eventhub.models import OutboxMessage, Registration, utcnow
from eventhub.network import current_network

# Session.info key under which queued messages wait for the after-commit dispatch.
QUEUED_KEY = "eventhub.outbox.queued"
# Every message the current transaction queued, kept until it ends: what a trial run would have sent.
TRANSACTION_KEY = "eventhub.outbox.transaction"



class Renderer(enum.StrEnum):
    """The composers of deferred messages, by the name stored on each row (OutboxMessage.renderer)."""

    REGISTRATION = "registration"  # registration/emails.py: registration emails and visit invitations
    BROADCAST = "broadcast"  # backoffice/broadcasts.py: an organizer's message to registrants
    FOLLOWUP = "followup"  # followup/reminders.py: commitment reminders


class InviteSent(TypedDict):
    """Noted in a payload when composing took an invitation's SEQUENCE: which row, and the number."""

    table: str
    id: int
    sequence: int


# Deferred messages: renderer name -> function(message) -> the message's SMTP text (from compose_email),
# registered by features.
RENDERERS: dict[str, Callable[[OutboxMessage], str]] = {}
# Renderer name -> function(messages) that loads what composing those messages will read, in a few
# queries for all of them (optional; without one each message loads its own).
PREFETCHERS: dict[str, Callable[[list[OutboxMessage]], list]] = {}


class Obsolete(Exception):
    """Raised by a renderer when the message is no longer true and must not be sent."""


def renderer(name: Renderer, prefetch: Callable[[list[OutboxMessage]], list] | None = None):
    """Register a function that composes deferred messages of this name, and optionally one that
    loads, for a batch of them at once, what composing will read."""
    def decorate(function: Callable[[OutboxMessage], str]) -> Callable[[OutboxMessage], str]:
        RENDERERS[name] = function
        if prefetch is not None:
            PREFETCHERS[name] = prefetch
        return function
    return decorate


def prefetch_deferred(messages) -> list:
    """Load into the current session what composing these deferred messages will read; return the
    loaded objects, which the caller keeps while composing (the session holds them only weakly)."""
    by_renderer: dict[str, list] = {}
    for message in messages:
        if not message.raw and message.renderer in PREFETCHERS:
            by_renderer.setdefault(message.renderer, []).append(message)
    return [loaded for name, group in by_renderer.items() for loaded in PREFETCHERS[name](group)]


def compose_email(*, to_address: str, to_name: str, subject: str, template: str, context: dict,
                  calendar: bytes | None = None, method: str | None = None) -> str:
    """A text + HTML message from templates/email/<template>.txt and .html, as SMTP-ready text.

    With a calendar, the shape clients recognise as an invitation: multipart/mixed holding
    multipart/alternative (text, html, text/calendar with the iTIP method) and invite.ics.
    Built with the standard library's MIME classes under the compat32 policy: every part is
    encoded (quoted-printable) as it is made, so writing it out copies nothing; the header-parsing
    `EmailMessage` API cost five times as much per message, the largest cost of sending invites.
    """
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    # Headers are one line: whatever a title or name holds, it cannot add a header of its own.
    subject, to_name = " ".join(subject.split()), " ".join(to_name.split())
    body = MIMEMultipart("alternative", boundary=_boundary())
    body.attach(MIMEText(text, "plain", _UTF8))  # type: ignore[arg-type]  # MIMEText hands a Charset to set_payload, which takes one; typeshed says str
    body.attach(MIMEText(html, "html", _UTF8))  # type: ignore[arg-type]  # MIMEText hands a Charset to set_payload, which takes one; typeshed says str
    if calendar is not None:
        assert method is not None, "a calendar goes with its iTIP method"
        ics = calendar.decode("utf-8")
        body.attach(_calendar_part(ics, method))
        message = MIMEMultipart("mixed", boundary=_boundary())
        message.attach(body)
        attachment = _calendar_part(ics, method)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    else:
        message = body
    # compat32 messages take a Header object for a header; typeshed's Message says str only.
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject  # type: ignore[assignment]
    network = current_network()
    # The address is always MAIL_FROM's, the one the mail server may send as; its name is the network's when
    # an admin renamed the network, else MAIL_FROM's own.
    sender_name, sender = parseaddr(current_app.config["MAIL_FROM"])
    if network.name != current_app.config["NETWORK_NAME"] or not sender_name:
        sender_name = network.name
    message["From"] = formataddr((sender_name, sender), "utf-8")
    if network.reply_to:
        message["Reply-To"] = network.reply_to
    message["To"] = formataddr((to_name, to_address), "utf-8") if to_name else to_address
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message["Auto-Submitted"] = "auto-generated"
    # CRLF line ends, as SMTP requires; .eml readers accept them too.
    return message.as_string(policy=_SMTP_COMPAT)


# Bodies in UTF-8, quoted-printable: 7-bit safe for any server, still readable as source.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = _UTF8.body_encoding = QP


class _SMTPCompat(Compat32):
    """compat32 as SMTP wants it (CRLF), writing a short header of printable ASCII as it is: what
    the compat32 folding makes of it anyway, without building a Header object for each one."""

    def fold(self, name, value):
        # isprintable() leaves out every character that compat32 reads as a line break
        # (\r \n \v \f \x1c-\x1e), and the tab, which the slow way writes as it is anyway.
        if isinstance(value, str) and len(name) + len(value) < 76 and value.isascii() and value.isprintable():
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)


_SMTP_COMPAT = _SMTPCompat(linesep="\r\n")


def _boundary() -> str:
    """A multipart boundary that no part can contain: every part is quoted-printable, where "=" is
    always followed by two hex digits or a line end, never by "_". Given, so that writing the
    message out need not make one up and search every part for it."""
    return f"=_{secrets.token_hex(16)}"


def _calendar_part(ics: str, method: str) -> MIMEText:
    """text/calendar with its iTIP method, as Outlook requires to show an invitation."""
    part = MIMEText(ics, "calendar", _UTF8)  # type: ignore[arg-type]  # MIMEText hands a Charset to set_payload, which takes one; typeshed says str
    part.set_param("method", method)
    return part


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
    raw = compose_email(to_address=to_address, to_name=to_name, subject=subject, template=template, context=context)
    entry = OutboxMessage(kind=kind, to_address=to_address, subject=subject, raw=raw, registration=registration)
    return _enqueue(entry)


def queue_deferred(
    *, kind: str, to_address: str, subject: str, renderer_name: Renderer, payload: Mapping[str, object],
    registration: Registration | None = None,
) -> OutboxMessage:
    """Queue a message to be composed at delivery: a cheap insert for hot paths that hold locks. (The app
    registers a renderer for every Renderer; a test holds it to that.)"""
    entry = OutboxMessage(kind=kind, to_address=to_address, subject=subject, raw="", renderer=renderer_name,
                          payload=dict(payload), registration=registration)
    return _enqueue(entry)


def render_deferred(message: OutboxMessage) -> None:
    """Compose a deferred message now (in the current session) and keep the result."""
    assert message.renderer, "only a deferred message has a renderer"
    message.raw = RENDERERS[message.renderer](message)


def _enqueue(entry: OutboxMessage) -> OutboxMessage:
    """Add to the session and note it for the after-commit delivery."""
    db.session.add(entry)
    db.session.info.setdefault(QUEUED_KEY, []).append(entry)
    db.session.info.setdefault(TRANSACTION_KEY, []).append(entry)
    return entry


def queued_in_transaction() -> list[OutboxMessage]:
    """The messages queued since the current transaction began (a commit or rollback forgets them)."""
    return list(db.session.info.get(TRANSACTION_KEY, ()))


def _sender_domain() -> str:
    """The domain of MAIL_FROM, so Message-IDs look like the sender's own."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "localhost"
