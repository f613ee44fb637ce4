"""What a host school receives: the guest list for its visitor system."""
import sqlalchemy as sa

from eventhub.extensions import db
from eventhub.models import Registration, SeatStatus, Visit, VisitSeat, id_type_label
from eventhub.spreadsheets import csv_text


def guest_list(visit: Visit) -> list[VisitSeat]:
    """Confirmed visitors, by last then first name."""
    return list(db.session.scalars(
        sa.select(VisitSeat).join(Registration)
        .where(VisitSeat.visit_id == visit.id, VisitSeat.status == SeatStatus.CONFIRMED)
        .order_by(Registration.legal_last_name, Registration.legal_first_name, Registration.id)
    ))


def guest_list_csv(visit: Visit) -> str:
    """Legal first and last names for the school's visitor system; date of birth and ID type only if collected."""
    school = visit.school
    header = ["First name", "Last name"]
    if school.screening_dob_required:
        header.append("Date of birth")
    if school.screening_id_type_required:
        header.append("ID type")
    rows = []
    for place in guest_list(visit):
        person = place.registration
        row = [person.legal_first_name, person.legal_last_name]
        if school.screening_dob_required:
            row.append(place.date_of_birth.isoformat() if place.date_of_birth else "")
        if school.screening_id_type_required:
            row.append(id_type_label(place.id_type))
        rows.append(row)
    return csv_text(header, rows)
