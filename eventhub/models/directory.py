"""The network's member districts and their schools."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
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
    """A school district in the network's directory; members host and attend events. What the federal data
    does not say (enrollment, free/reduced lunch, locale, grade span, time zone) may be unknown: NULL, never
    0, so matching leaves it out instead of being skewed by it."""

    __tablename__ = "districts"
    __table_args__ = (
        sa.CheckConstraint("frl_percent BETWEEN 0 AND 100", name="frl_percent_range"),
        sa.CheckConstraint("enrollment >= 0", name="enrollment_not_negative"),
        # Two districts may share a name and a state (California has two "Washington Unified"); the federal
        # LEAID, where one is given, tells them apart.
        sa.Index("ix_districts_name_state", "name", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(2))
    city: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # The federal (NCES) district id: seven digits, the first two the state's FIPS code.
    nces_leaid: Mapped[str | None] = mapped_column(sa.String(7), unique=True)
    # Unset until someone chooses it (a state may span several zones); a district without one hosts nothing.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    enrollment: Mapped[int | None] = mapped_column()
    locale: Mapped[Locale | None] = mapped_column(str_enum(Locale))
    # Share of students eligible for free or reduced-price lunch, in percent.
    frl_percent: Mapped[int | None] = mapped_column()
    grade_span: Mapped[str | None] = mapped_column(sa.String(10))
    is_member: Mapped[bool] = mapped_column(default=True)
    member_since: Mapped[date | None] = mapped_column(sa.Date)
    # Lower-case domains its people's addresses are at ("kmsd.k12.wi.us"), for events open to members only.
    email_domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Set instead of deleting once anything refers to the district: it leaves every chooser, keeps its history.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    schools: Mapped[list["School"]] = relationship(
        back_populates="district", order_by="School.name", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """Name and state, as people write it: "Kettle Moraine School District, WI"."""
        return f"{self.name}, {self.state}"

    @property
    def profile(self) -> str:
        """What is known of it in words: "12,400 students, suburban, 31% free/reduced lunch, grades PK-12"."""
        return ", ".join(part for part in (
            f"{self.enrollment:,} students" if self.enrollment is not None else "",
            self.locale.adjective if self.locale else "",
            f"{self.frl_percent}% free/reduced lunch" if self.frl_percent is not None else "",
            f"grades {self.grade_span}" if self.grade_span else "",
        ) if part)

    @property
    def host_timezone(self) -> str:
        """Its time zone, which every host has (can_host); ValueError for a district without one."""
        if not self.timezone:
            raise ValueError(f"{self.label} has no time zone yet, so it cannot host")
        return self.timezone

    @hybrid_property
    def can_host(self) -> bool:
        """Whether it may host an event or a visit: in use, and its time zone chosen (in Python, and as a
        condition in queries)."""
        return self.archived_at is None and bool(self.timezone)

    @can_host.inplace.expression
    @classmethod
    def _can_host_condition(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.archived_at.is_(None), cls.timezone.is_not(None))

    def __repr__(self) -> str:
        return f"<District {self.id} {self.label}>"


class School(Model):
    """A school of a district; site visits happen at schools."""

    __tablename__ = "schools"
    __table_args__ = (
        # Unique by the federal id where one is given (below), else by district and name.
        sa.Index("uq_schools_district_name_without_nces_id", "district_id", "name", unique=True,
                 sqlite_where=sa.text("nces_id IS NULL"), postgresql_where=sa.text("nces_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    # The federal (NCES) school id: twelve digits, the district's LEAID and five more.
    nces_id: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
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
    # Set instead of deleting once a visit refers to the school: it leaves the choosers, keeps its history.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


class DirectoryState(Model):
    """One row: the directory's version, raised by every change to its districts and schools, so an
    import's commit can tell that nothing changed since its preview."""

    __tablename__ = "directory_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0)
