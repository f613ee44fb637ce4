"""Registration and details forms: field validation only."""
from datetime import date
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.bounds import bound_rows, parse_id
from eventhub.directory.queries import district_in_use, find_districts
from eventhub.fields import clean_line, clean_text, has_a_letter
from eventhub.models import (
    ACCESSIBILITY_OPTIONS,
    DIETARY_OPTIONS,
    ID_TYPES,
    AgendaItem,
    AttendeeRole,
    District,
    School,
    Visit,
)
from eventhub.registration.services import AttendeeDetails
from eventhub.visits.services import id_refusal

OTHER_DISTRICT = "other"
MAX_COLLEAGUES = 20
bound_rows("colleagues", MAX_COLLEAGUES,
           f"A team registration can include at most {MAX_COLLEAGUES} colleagues; register a larger team in parts.")
PHONE = Regexp(r"^\+?[0-9 ().\-]{7,25}$", message="Enter a phone number with digits, e.g. 555-201-3344.")
ROLE_CHOICES = [SelectChoice("", "Choose a role")] + [SelectChoice(role.value, role.label) for role in AttendeeRole]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ValidEmail:
    """Check an address with email-validator (syntax only: the network is closed to DNS) and normalise it.

    Addresses are kept in their ASCII form (IDN domains as punycode), because that is what
    every mail server accepts; a non-ASCII name before the @ is refused for the same reason.
    """

    def __call__(self, form, field) -> None:
        try:
            result = validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as error:
            raise ValidationError(f"Enter a valid email address, like name@district.org. ({error})") from None
        assert result.ascii_email is not None  # allow_smtputf8=False refuses any address without an ASCII form
        field.data = result.ascii_email.lower()


def email_field(label: str, required: bool = True) -> EmailField:
    """An email input, required or not, at most 254 characters, normalised when valid."""
    first = InputRequired(message="Enter an email address.") if required else Optional()
    return EmailField(
        label,
        validators=[first, Length(max=254, message="An email address has at most 254 characters."), ValidEmail()],
        filters=[clean_line],
    )


def name_field(label: str, required: bool = True, max_length: int = 100, person: bool = False) -> StringField:
    """A single-line text input with a length limit and a clear message. Required means something is left
    once the value is cleaned (a value of only spaces is empty); a person's name needs a letter."""
    whose = label[0].lower() + label[1:] if label.startswith("Their ") else "your " + label.lower()
    first = DataRequired(message=f"Enter {whose}.") if required else Optional()
    return StringField(
        label,
        validators=[first, Length(max=max_length, message=f"Use at most {max_length} characters."),
                    *([has_a_letter] if person else [])],
        filters=[clean_line],
    )


class ColleagueForm(Form):
    """A colleague registered by a team lead; they complete the rest from their own link."""

    legal_first_name = name_field("Legal first name", required=False, person=True)
    legal_last_name = name_field("Legal last name", required=False, person=True)
    email = email_field("Email", required=False)
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[Optional()])
    title = name_field("Title", required=False, max_length=150)

    REQUIRED = {"legal_first_name": "Enter their legal first name.",
                "legal_last_name": "Enter their legal last name.",
                "email": "Enter their email address.",
                "role": "Choose their role."}

    def is_blank(self) -> bool:
        """A row left empty is ignored rather than refused."""
        return not any((self[name].data or "").strip() for name in ("legal_first_name", "legal_last_name", "email",
                                                                    "title"))


class AttendeeForm(FlaskForm):
    """The attendee's own details, shared by registration and the private page."""

    legal_first_name = name_field("Legal first name", person=True)
    legal_last_name = name_field("Legal last name", person=True)
    preferred_name = name_field("Preferred name", required=False, person=True)
    email = email_field("Email")
    mobile = TelField("Mobile phone", validators=[Optional(), Length(max=30), PHONE], filters=[clean_line])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired(message="Choose your role.")])
    title = name_field("Title", required=False, max_length=150)
    district = SelectField("District", choices=[], validators=[InputRequired(message="Choose your district.")])
    # Any district of the directory, found by a search (no JavaScript: the Find button sends the form back).
    district_query = StringField("Not in the list? Find your district", filters=[clean_line],
                                 validators=[Length(max=100)])
    find_district = SubmitField("Find")
    other_organization = name_field("Organization", required=False, max_length=200)
    dietary = MultiCheckboxField("Dietary needs", choices=[SelectChoice(k, v) for k, v in DIETARY_OPTIONS.items()])
    allergies = TextAreaField(
        "Allergies and other dietary needs",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
        filters=[clean_text],
    )
    accessibility = MultiCheckboxField("Accessibility needs",
                                       choices=[SelectChoice(k, v) for k, v in ACCESSIBILITY_OPTIONS.items()])
    accessibility_notes = TextAreaField(
        "Anything else we should arrange",
        validators=[Optional(), Length(max=500, message="Use at most 500 characters.")],
        filters=[clean_text],
    )
    photo_consent = RadioField(
        "May we photograph you at the event?",
        choices=[SelectChoice("yes", "Yes, photos of me may be taken and shared by the network"),
                 SelectChoice("no", "No, please do not photograph me")],
        validators=[InputRequired(message="Tell us whether you consent to be photographed.")],
    )
    emergency_contact_name = name_field("Emergency contact name", required=False, max_length=150, person=True)
    emergency_contact_phone = TelField("Emergency contact phone", validators=[Optional(), Length(max=30), PHONE],
                                       filters=[clean_line])

    def set_districts(self, districts) -> None:
        """Offer these districts (objects, or bare ids when only checking), then "other"."""
        self.district.choices = (
            [SelectChoice("", "Choose your district")]
            + [SelectChoice(str(d), str(d)) if isinstance(d, int) else SelectChoice(str(d.id), d.label)
               for d in districts]
            + [SelectChoice(OTHER_DISTRICT, "Other organization (not listed)")]
        )

    @property
    def searched(self) -> bool:
        """Whether the Find button sent the form (the page is shown again with what it found)."""
        return bool(self.find_district.data)

    def offer_districts(self, members) -> list[District]:
        """The district menu: after Find, the districts found (members first, at most 20; the first one
        chosen); then the member districts (objects, or bare ids when only checking); and a chosen district
        of the directory that is neither. Returns what Find found."""
        found = getattr(self, "found_districts", None)
        if found is None:
            found = find_districts(self.district_query.data or "") if self.searched else []
            self.found_districts = found
        def key(district) -> int:
            return district if isinstance(district, int) else district.id

        found_ids = {d.id for d in found}
        members = [m for m in members if key(m) not in found_ids]
        chosen = parse_id(self.district.data) if self.district.data != OTHER_DISTRICT else None
        extra = []
        if chosen is not None and chosen not in found_ids | {key(m) for m in members}:
            extra = [d for d in [district_in_use(chosen)] if d]
        if found and chosen not in found_ids:
            self.district.data = str(found[0].id)
        self.set_districts([*found, *extra, *members])
        return found

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: someone outside the member districts must say where they are from."""
        valid = super().validate(extra_validators)
        if self.district.data == OTHER_DISTRICT and not self.other_organization.data:
            self.other_organization.errors.append("Enter the name of your organization.")
            valid = False
        return valid

    def attendee_details(self) -> AttendeeDetails:
        """The validated data as the service expects it."""
        district = self.district.data
        return AttendeeDetails(
            email=self.email.data,
            legal_first_name=self.legal_first_name.data,
            legal_last_name=self.legal_last_name.data,
            preferred_name=self.preferred_name.data or "",
            mobile=(self.mobile.data or "").strip(),
            role=AttendeeRole(self.role.data),
            title=self.title.data or "",
            district_id=None if district == OTHER_DISTRICT else int(district),
            other_organization=self.other_organization.data if district == OTHER_DISTRICT else "",
            dietary=list(self.dietary.data or []),
            allergies=(self.allergies.data or "").strip(),
            accessibility=list(self.accessibility.data or []),
            accessibility_notes=(self.accessibility_notes.data or "").strip(),
            photo_consent=self.photo_consent.data == "yes",
            emergency_contact_name=self.emergency_contact_name.data or "",
            emergency_contact_phone=(self.emergency_contact_phone.data or "").strip(),
        )

    def fill_from(self, registration) -> None:
        """Pre-fill the form from a stored registration (GET of the edit page)."""
        for name in ("legal_first_name", "legal_last_name", "preferred_name", "email", "mobile", "title",
                     "other_organization", "allergies", "accessibility_notes", "emergency_contact_name",
                     "emergency_contact_phone"):
            self[name].data = getattr(registration, name)
        self.role.data = registration.role.value
        self.district.data = str(registration.district_id) if registration.district_id else OTHER_DISTRICT
        self.dietary.data = list(registration.dietary or [])
        self.accessibility.data = list(registration.accessibility or [])
        self.photo_consent.data = "yes" if registration.photo_consent else "no"


class RegistrationForm(AttendeeForm):
    """Registration: the attendee's details plus any colleagues they register as a team."""

    # No max_entries here: WTForms would silently drop the extra rows; validate() refuses them instead.
    colleagues = FieldList(FormField(ColleagueForm), label="Your district team", min_entries=0)
    add_colleague = SubmitField("Add a colleague")
    submit = SubmitField("Register")

    same_visits_for_colleagues = BooleanField("Give my colleagues the same visit choices", default=True)

    def validate(self, extra_validators=None) -> bool:
        """Check each colleague row that was filled in, that no email appears twice, and the visit rules."""
        valid = super().validate(extra_validators)
        if isinstance(self, VisitFieldsMixin):
            valid = self.validate_visits() and valid
        if len(self.colleagues) > MAX_COLLEAGUES:
            self.colleagues.errors.append(
                f"A team registration can include at most {MAX_COLLEAGUES} colleagues; "
                "register the others in a second form."
            )
            return False
        seen = {(self.email.data or "").lower()}
        for entry in self.colleagues:
            row = entry.form
            if row.is_blank():
                continue
            for name, message in ColleagueForm.REQUIRED.items():
                if not (row[name].data or "").strip() and not row[name].errors:
                    row[name].errors.append(message)
                    valid = False
            email = (row.email.data or "").lower()
            if email and email in seen and not row.email.errors:
                row.email.errors.append("This email is already used above; each person needs their own.")
                valid = False
            seen.add(email)
        return valid

    def colleague_details(self) -> list[AttendeeDetails]:
        """Filled colleague rows as attendee details, in the lead's district."""
        lead = self.attendee_details()
        return [
            AttendeeDetails(
                email=row.email.data,
                legal_first_name=row.legal_first_name.data,
                legal_last_name=row.legal_last_name.data,
                role=AttendeeRole(row.role.data),
                title=row.title.data or "",
                district_id=lead.district_id,
                other_organization=lead.other_organization,
            )
            for row in (entry.form for entry in self.colleagues)
            if not row.is_blank()
        ]


class ConfirmForm(FlaskForm):
    """A bare form for confirmations (cancel, register again): CSRF token only."""


class WalkInForm(AttendeeForm):
    """An organizer adds a registrant; when the event is full, they say whether this one waits or gets a seat."""

    beyond_capacity = RadioField("The event is full", validators=[Optional()], choices=[
        SelectChoice("wait", "Put them on the waiting list, like anyone registering now"),
        SelectChoice("seat", "Give them a seat now (beyond the capacity, or ahead of those waiting)")])


class HandoverForm(FlaskForm):
    """The colleague a place goes to: who they are (their own link asks the rest)."""

    legal_first_name = name_field("Their legal first name", person=True)
    legal_last_name = name_field("Their legal last name", person=True)
    email = email_field("Their email address")
    role = SelectField("Their role", choices=ROLE_CHOICES, validators=[InputRequired(message="Choose their role.")])


class AcceptPlaceForm(FlaskForm):
    """The colleague takes the place (and, if it comes with school visits, accepts the visit norms)."""

    norms = BooleanField("I will follow the visit norms: observation is non-evaluative and confidential, my notes "
                         "name no teacher or student, and I make no recordings or photos of students.")


class LostLinkForm(FlaskForm):
    """"I lost my link": the address someone registered with."""

    email = email_field("Your email address")


class SplitTeamForm(FlaskForm):
    """A team lead picks who takes the seats held for their waiting team (ids of the party's places)."""

    seated = MultiCheckboxField("Who takes a seat now", coerce=int, validate_choice=True,
                                validators=[InputRequired(message="Choose who takes the seats.")])

    def set_party(self, standing) -> None:
        self.seated.choices = [SelectChoice(p.id, p.registration.display_name) for p in standing.party]


# --- visit choices ------------------------------------------------------------------------------

ID_CHOICES = [SelectChoice("", "Choose the ID you will bring")] + [SelectChoice(k, v) for k, v in ID_TYPES.items()]
RANK_LABELS = {1: "First choice", 2: "Second choice", 3: "Third choice"}


class VisitFieldsMixin:
    """Ranked visit choices per block, the norms, and screening details only when a chosen host asks."""

    visit_blocks: list[tuple[AgendaItem | None, list[Visit]]] = []  # set by with_visit_fields
    peer_visit: bool = False
    # False while seats wait for a fair allocation: screening details are asked once a seat is given.
    collect_screening: bool = True
    # For the checker only (no value, so nothing at runtime): the fields with_visit_fields adds, and the
    # item access of the form the mixin is combined with.
    norms: BooleanField
    date_of_birth: DateField
    id_type: SelectField
    screening_consent: BooleanField

    if TYPE_CHECKING:
        def __getitem__(self, name: str) -> Any: ...

        def __contains__(self, name: str) -> bool: ...

    def block_fields(self):
        """For the template: (block, visits, [rank fields], hopes field) per block."""
        rows = []
        for block, visits in self.visit_blocks:
            key = _block_key(block)
            ranks = [] if self.peer_visit else [self[f"visit_{key}_{rank}"] for rank in (1, 2, 3)]
            rows.append((block, visits, ranks, self[f"visit_{key}_hopes"]))
        return rows

    def fill_choices(self, choices) -> None:
        """Pre-select stored choices (VisitChoice rows) on a GET."""
        for choice in choices:
            key = _block_key(choice.visit.block)
            if not self.peer_visit and f"visit_{key}_{choice.rank}" in self:
                self[f"visit_{key}_{choice.rank}"].data = str(choice.visit_id)
            if f"visit_{key}_hopes" in self and choice.hopes:
                self[f"visit_{key}_hopes"].data = choice.hopes
        self.norms.data = bool(choices)

    def chosen(self) -> list[tuple[AgendaItem | None, list[Visit]]]:
        """(block, chosen visits best first) per block, from the submitted data."""
        result = []
        for block, visits in self.visit_blocks:
            by_id = {str(v.id): v for v in visits}
            if self.peer_visit:
                picked = list(visits)
            else:
                key = _block_key(block)
                picked = [by_id[self[f"visit_{key}_{r}"].data] for r in (1, 2, 3)
                          if self[f"visit_{key}_{r}"].data in by_id]
            result.append((block, picked))
        return result

    def validate_visits(self) -> bool:
        """Distinct choices per block; norms acknowledged; screening details where a chosen host needs them."""
        valid = True
        chosen_schools: list[School] = []
        for block, visits in self.visit_blocks:
            if self.peer_visit:
                chosen_schools.extend(v.school for v in visits)
                continue
            key = _block_key(block)
            seen = set()
            for rank in (1, 2, 3):
                field = self[f"visit_{key}_{rank}"]
                if not field.data:
                    continue
                if field.data in seen:
                    field.errors.append("Choose a different visit for each rank.")
                    valid = False
                seen.add(field.data)
            chosen_schools.extend(v.school for v in visits if str(v.id) in seen)
        if chosen_schools and not self.norms.data:
            self.norms.errors.append("Please confirm you will follow the visit norms.")
            valid = False
        if self.collect_screening and any(s.collects_screening_data for s in chosen_schools):
            if not self.screening_consent.data:
                self.screening_consent.errors.append(
                    "A school you chose screens its visitors: we need your consent to share these details with it.")
                valid = False
            if any(s.screening_dob_required for s in chosen_schools) and not self.date_of_birth.data:
                self.date_of_birth.errors.append("A school you chose needs your date of birth to screen visitors.")
                valid = False
            if any(s.screening_id_type_required for s in chosen_schools) and not self.id_type.data:
                self.id_type.errors.append("A school you chose needs to know which ID you will bring.")
                valid = False
            refusals = [id_refusal(s, self.id_type.data or "") for s in chosen_schools if s.screening_id_type_required]
            for refused in dict.fromkeys(r for r in refusals if r):
                self.id_type.errors.append(refused)
                valid = False
            self.offer_ids_for(chosen_schools)
        return valid

    def chosen_schools(self) -> list[School]:
        """The schools of the visits chosen (as submitted, or as filled in from the stored choices)."""
        return [v.school for _, picked in self.chosen() for v in picked]

    def offer_ids_for(self, schools: list[School]) -> None:
        """Offer only the kinds of photo ID every chosen school that asks for one accepts at its door."""
        asking = [s for s in schools if s.screening_id_type_required and s.photo_id_required]
        self.id_type.choices = [ID_CHOICES[0]] + [c for c in ID_CHOICES[1:]
                                                  if all(s.accepts_id(c.value) for s in asking)]

    def id_hint(self) -> str:
        """Which kinds each screening school accepts, for the ID question."""
        schools = {v.school.id: v.school for _, visits in self.visit_blocks for v in visits
                   if v.school.screening_id_type_required and v.school.photo_id_required
                   and v.school.accepted_id_kinds}
        return " ".join(f"{s.name} accepts {s.accepted_ids}." for s in schools.values())

    def prefill_screening(self, known: tuple[date | None, str] | None) -> None:
        """Details already given for another school of this registration (date of birth, ID kind), so they
        are asked once; consent is still given for each school."""
        if known is None:
            return
        born, kind = known
        self.date_of_birth.data = self.date_of_birth.data or born
        if not self.id_type.data and any(c.value == kind for c in self.id_type.choices):
            self.id_type.data = kind

    def validate_date_of_birth(self, field) -> None:
        """A plausible adult's date of birth."""
        if field.data is None:
            return
        today = date.today()
        age = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
        if not 16 <= age <= 110:
            raise ValidationError("Enter your date of birth as on your ID, e.g. 1979-04-23.")

    def visit_request(self):
        """The visit part of the form for the registration service."""
        from eventhub.registration.services import (
            VisitRequest,  # the service imports this module's sibling
        )
        from eventhub.visits.services import BlockChoices, Screening

        choices = [
            BlockChoices(block_id=block.id if block else None, visit_ids=[v.id for v in picked],
                         hopes=self[f"visit_{_block_key(block)}_hopes"].data or "")
            for block, picked in self.chosen()
        ]
        screening = None
        if self.collect_screening and self.screening_consent.data:
            screening = Screening(date_of_birth=self.date_of_birth.data, id_type=self.id_type.data or "",
                                  consent=True)
        same = getattr(self, "same_visits_for_colleagues", None)  # only registration offers it
        return VisitRequest(choices=choices, norms_acknowledged=bool(self.norms.data), screening=screening,
                            same_for_colleagues=bool(same and same.data))


def _block_key(block) -> str:
    """The field-name key of a visit block (a peer visit has none)."""
    return str(block.id) if block is not None else "peer"


def with_visit_fields(base: type, visit_blocks: list, peer_visit: bool = False, collect_screening: bool = True,
                      full: set[int] | frozenset[int] = frozenset(),
                      seat_counts: dict[int, tuple[int, int]] | None = None,
                      closed: set[int] | frozenset[int] = frozenset()) -> type:
    """A subclass of `base` with ranked-choice fields for the given visit blocks (`full`: the visits whose
    seats are all taken, offered as "waiting list only"; `closed`: past the school's notice, taking nobody
    new; `seat_counts`: (taken, waiting) per visit, as read)."""
    attrs = {"visit_blocks": visit_blocks, "peer_visit": peer_visit, "collect_screening": collect_screening,
             "seat_counts": seat_counts or {}}
    for block, visits in visit_blocks:
        key = _block_key(block)
        options = [SelectChoice("", "No visit")] + [
            SelectChoice(str(v.id), f"{v.title} ({v.school.name})" + (
                ": closed, the school's guest list is due" if v.id in closed
                else ": waiting list only" if v.id in full else ""))
            for v in visits]
        if not peer_visit:
            for rank in (1, 2, 3):
                attrs[f"visit_{key}_{rank}"] = SelectField(RANK_LABELS[rank], choices=options, validators=[Optional()])
        attrs[f"visit_{key}_hopes"] = TextAreaField(
            "What do you hope to learn?",
            validators=[Optional(), Length(max=1000, message="Use at most 1000 characters.")],
            filters=[clean_text],
        )
    attrs["norms"] = BooleanField(
        "I will follow the visit norms: observation is non-evaluative and confidential, my notes name no "
        "teacher or student, and I make no recordings or photos of students.")
    attrs["date_of_birth"] = DateField("Date of birth", validators=[Optional()],
                                       render_kw={"autocomplete": "bday"})
    attrs["id_type"] = SelectField("Photo ID you will bring", choices=ID_CHOICES, validators=[Optional()])
    attrs["screening_consent"] = BooleanField(
        "I agree that my date of birth and ID type are shared with the school I visit, only for its "
        "visitor screening, and deleted a week after the visit.")
    return type(f"{base.__name__}WithVisits", (VisitFieldsMixin, base), attrs)


class VisitChoicesForm(FlaskForm):
    """Change one's visit choices from the private page."""

    submit = SubmitField("Save my visit choices")

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the visit rules."""
        valid = super().validate(extra_validators)
        return self.validate_visits() and valid
