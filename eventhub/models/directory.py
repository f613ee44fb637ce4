"""The network's member districts and their schools."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow
from eventhub.models.idkinds import ID_TYPES, id_kinds_in_words


class Locale(enum.StrEnum):
    """NCES-style locale of a district."""

    CITY = "city"
    SUBURB = "suburb"
    TOWN = "town"
    RURAL = "rural"

    @property
    def adjective(self) -> str:
        """How people describe a district: urban, suburban, small-town, rural."""
        return {"city": "urban", "suburb": "suburban", "town": "small-town", "rural": "rural"}[self.value]


class District(Model):
    """A school district; members of the network host and attend events."""

    __tablename__ = "districts"
    __table_args__ = (
        sa.UniqueConstraint("name", "state"),
        sa.CheckConstraint("frl_percent BETWEEN 0 AND 100", name="frl_percent_range"),
        sa.CheckConstraint("enrollment >= 0", name="enrollment_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    enrollment: Mapped[int] = mapped_column(default=0)
    locale: Mapped[Locale] = mapped_column(str_enum(Locale))
    # Share of students eligible for free or reduced-price lunch, in percent.
    frl_percent: Mapped[int] = mapped_column(default=0)
    grade_span: Mapped[str] = mapped_column(sa.String(10), default="PK-12")
    is_member: Mapped[bool] = mapped_column(default=True)

    schools: Mapped[list["School"]] = relationship(
        back_populates="district", order_by="School.name", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """Name and state, as people write it: "Kettle Moraine School District, WI"."""
        return f"{self.name}, {self.state}"

    def __repr__(self) -> str:
        return f"<District {self.id} {self.label}>"


class School(Model):
    """A school of a district; site visits happen at schools."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    grade_span: Mapped[str | None] = mapped_column(sa.String(10))
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    state: Mapped[str] = mapped_column(sa.String(2), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(10), default="")
    entrance: Mapped[str] = mapped_column(sa.String(300), default="")
    bus_parking: Mapped[str] = mapped_column(sa.String(300), default="")

    # The school's visitor rules, shown on every visit before anyone picks it.
    photo_id_required: Mapped[bool] = mapped_column(default=True)
    # The kinds of photo ID the school accepts (keys of ID_TYPES); none listed: any government photo ID.
    accepted_id_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # What an older free-text rule said that could not be read as kinds, for the organizer to check.
    accepted_ids_unread: Mapped[str] = mapped_column(sa.String(300), default="")
    # Screening against registries: collected only when the school asks, with consent, for that school alone.
    screening_dob_required: Mapped[bool] = mapped_column(default=False)
    screening_id_type_required: Mapped[bool] = mapped_column(default=False)
    notice_school_days: Mapped[int] = mapped_column(default=0)
    photo_policy: Mapped[str] = mapped_column(sa.String(500), default="")
    visitor_norms: Mapped[str] = mapped_column(sa.Text, default="")
    # Any change, the rules above included: visit invitations and the personal feeds quote them.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship(back_populates="schools")

    @property
    def collects_screening_data(self) -> bool:
        """Whether visitors must give a date of birth or ID type for this school's screening."""
        return self.screening_dob_required or self.screening_id_type_required

    @property
    def accepted_ids(self) -> str:
        """The accepted kinds in words ("US driver's license or US state ID card"); "" when any will do."""
        return id_kinds_in_words(self.accepted_id_kinds or [])

    def accepts_id(self, kind: str) -> bool:
        """Whether a visitor bringing this kind of ID gets in (any known kind, when the school lists none)."""
        return kind in ID_TYPES and (not self.accepted_id_kinds or kind in self.accepted_id_kinds)

    @property
    def address(self) -> str:
        """The postal address on one line."""
        locality = " ".join(p for p in (self.state, self.postal_code) if p)
        return ", ".join(p for p in (self.street, self.city, locality) if p)

    def __repr__(self) -> str:
        return f"<School {self.id} {self.name}>"
