"""The commitment sheet and the check-in, as forms (the attendee's and the organizer's fast entry share them)."""
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventhub.fields import clean_line, clean_text
from eventhub.followup.services import CommitmentDetails
from eventhub.models import Commitment, CommitmentStatus, Decision, Visibility

EVENT_ITSELF = 0


def _text(label: str, max_length: int = 5000) -> TextAreaField:
    return TextAreaField(label, filters=[clean_text],
                         validators=[Length(max=max_length, message=f"Use at most {max_length} characters.")])


def _line(label: str, max_length: int = 300) -> StringField:
    return StringField(label, filters=[clean_line],
                       validators=[Length(max=max_length, message=f"Use at most {max_length} characters.")])


class CommitmentForm(FlaskForm):
    """The sheet's questions, in its order (DOMAIN: the follow-up commitment sheet)."""

    visit_id = SelectField("Where I saw it", coerce=int, validate_choice=True)
    evidence = _text("What I saw (the evidence)")
    change_idea = TextAreaField("The change I will try", filters=[clean_text], validators=[
        DataRequired("Write the change you will try."), Length(max=5000)])
    why_new = _text("Why it is new for us (the problem of practice it serves)")
    test_where = _line("Where")
    test_with_whom = _line("With whom")
    test_starts_on = DateField("Starts on", validators=[Optional()])
    test_due_on = DateField("Due on", validators=[Optional()])
    prediction = _text("My prediction")
    measure = _line("How I will know: the measure")
    baseline = _line("Baseline", 200)
    target = _line("Target", 200)
    support_needed = _text("Support I need")
    support_from = _line("From whom")
    status = SelectField("Status", choices=[SelectChoice(s.value, s.label) for s in CommitmentStatus])
    visibility = RadioField("Who may see it", default=Visibility.PRIVATE.value,
                            choices=[SelectChoice(v.value, v.label) for v in Visibility])

    def for_commitment(self, commitment: Commitment | None) -> "CommitmentForm":
        """Once a commitment has a check-in, its status moves by check-ins alone, so the sheet drops the
        field (a required field the page does not show would refuse every save)."""
        if commitment is not None and commitment.updates:
            del self.status
        return self

    def set_sources(self, event, visits) -> None:
        self.visit_id.choices = [SelectChoice(EVENT_ITSELF, f"{event.title} (the convening itself)")] + [
            SelectChoice(v.id, f"{v.title}, {v.school.name} ({v.school.district.name})") for v in visits]

    def validate_test_due_on(self, field) -> None:
        if field.data and self.test_starts_on.data and field.data < self.test_starts_on.data:
            raise ValidationError("The first test must be due on or after the day it starts.")

    def details(self) -> CommitmentDetails:
        return CommitmentDetails(
            visit_id=self.visit_id.data or None,
            **{name: self[name].data or "" for name in (
                "evidence", "change_idea", "why_new", "test_where", "test_with_whom", "prediction", "measure",
                "baseline", "target", "support_needed", "support_from")},
            test_starts_on=self.test_starts_on.data, test_due_on=self.test_due_on.data,
            status=CommitmentStatus(self.status.data) if "status" in self else None,
            visibility=Visibility(self.visibility.data),
        )

    def fill(self, details: CommitmentDetails) -> None:
        for name, value in vars(details).items():
            if name == "visit_id":
                self.visit_id.data = value or EVENT_ITSELF
            elif name in ("status", "visibility"):
                if name in self:
                    self[name].data = value.value
            else:
                self[name].data = value


class UpdateForm(FlaskForm):
    """A check-in: two minutes, four questions."""

    tried = _text("What we tried")
    learned = _text("What we learned, against the prediction")
    decision = RadioField("What we decided", validators=[Optional()], choices=[
        SelectChoice("", "Not yet: we keep testing"),
        *[SelectChoice(d.value, {"adopt": "Adopt it as it is", "adapt": "Adapt it and keep going",
                                 "abandon": "Abandon it", "scale": "Scale it up"}[d.value]) for d in Decision]],
        default="")
    status = SelectField("Status, if nothing was decided", choices=[
        SelectChoice(CommitmentStatus.PLANNED.value, "Planned: not started yet"),
        SelectChoice(CommitmentStatus.TESTING.value, "Testing")], default=CommitmentStatus.TESTING.value)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not ((self.tried.data or "").strip() or (self.learned.data or "").strip() or self.decision.data):
            self.tried.errors.append("Say what you tried, what you learned, or what you decided.")
            return False
        return valid

    @property
    def chosen_decision(self) -> Decision | None:
        return Decision(self.decision.data) if self.decision.data else None
