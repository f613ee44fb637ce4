"""Who may open which back-office page: admins and organizers everything, host coordinators their schools at
published events; only admins manage accounts."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from eventhub.models import Event, EventStatus, UserRole, Visit


def is_organizer(user) -> bool:
    """Admins and organizers: everything in the back office."""
    return user.role in (UserRole.ADMIN, UserRole.ORGANIZER)


def organizer_required(view):
    """Signed in as an admin or organizer; anyone else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_organizer(current_user):
            abort(403, "This page is for the network's organizers.")
        return view(*args, **kwargs)

    return wrapped


def is_admin(user) -> bool:
    """Admins: everything, and the accounts of everyone else."""
    return user.role is UserRole.ADMIN


def admin_required(view):
    """Signed in as an admin; anyone else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_admin(current_user):
            abort(403, "This page is for the back office's admins.")
        return view(*args, **kwargs)

    return wrapped


def can_see_event(user, event: Event) -> bool:
    """Organizers see every event; anyone else signed in nothing of a draft (it is not announced yet)."""
    return is_organizer(user) or event.status is not EventStatus.DRAFT


def can_see_visit(user, visit: Visit) -> bool:
    """Organizers see every visit; a host coordinator only those at their own district's schools, at events
    that are not drafts."""
    if is_organizer(user):
        return True
    return (user.role is UserRole.HOST_COORDINATOR and visit.school.district_id == user.district_id
            and can_see_event(user, visit.event))
