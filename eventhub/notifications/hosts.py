"""Telling a host school's coordinators of a late change to its guest list: a visitor added or taken off
after the school's notice period began (the school screens its visitors from that list)."""
import sqlalchemy as sa
from flask import current_app

from eventhub.extensions import db
from eventhub.models import User, UserRole, VisitSeat
from eventhub.notifications.kinds import EmailKind
from eventhub.outbox.services import queue_email
from eventhub.templating import long_date
from eventhub.urls import external_url


def host_addresses(district_id: int) -> list[str]:
    """The active host coordinators of the district; the organizers' mailbox where it has none."""
    coordinators = list(db.session.scalars(sa.select(User.email).where(
        User.role == UserRole.HOST_COORDINATOR, User.district_id == district_id, User.active.is_(True))
        .order_by(User.email)))
    return coordinators or [current_app.config["MAIL_ORGANIZER"]]


def send_guest_list_change(place: VisitSeat, *, added: bool, due: str) -> None:
    """Queue, to each host coordinator of the school's district, that this visitor was added to (or taken off)
    the visit's guest list after it was due (`due`: when, in words)."""
    visit = place.visit
    school = visit.school
    subject = (f"Late guest list change: {place.registration.legal_name} "
               f"{'added to' if added else 'taken off'} {visit.title}, {long_date(visit.starts_at, visit.timezone)}")
    for address in host_addresses(school.district_id):
        queue_email(kind=EmailKind.GUEST_LIST_CHANGE, to_address=address, subject=subject,
                    template="hosts/guest_list_change",
                    context={"place": place, "visit": visit, "school": school, "added": added, "due": due,
                             "url": external_url("visits.guest_list", slug=visit.event.slug, visit_id=visit.id)})
