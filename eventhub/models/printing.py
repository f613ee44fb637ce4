"""Print batches: a stack of PDFs (every personal agenda, every badge) made outside the request."""
import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.models.base import Model, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:  # the other module imports this one; the name is only an annotation here
    from eventhub.models.events import Event


class PrintKind(enum.StrEnum):
    """Which document a batch holds, one per person or per visit."""

    AGENDAS = "agendas"
    BADGES = "badges"
    ROSTERS = "rosters"
    SHEETS = "sheets"

    @property
    def label(self) -> str:
        """Human wording of the kind."""
        return {
            "agendas": "Personal agendas",
            "badges": "Name badges",
            "rosters": "Visit rosters and sign-in sheets",
            "sheets": "Commitment sheets",
        }[self.value]


class PrintStatus(enum.StrEnum):
    """Where a batch is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PrintBatch(Model):
    """One batch print: its progress, then its file (kept under the instance folder) or why it failed."""

    __tablename__ = "print_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PrintKind] = mapped_column(str_enum(PrintKind))
    order: Mapped[str] = mapped_column(sa.String(20), default="name")
    status: Mapped[PrintStatus] = mapped_column(str_enum(PrintStatus), default=PrintStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)  # documents to print
    done: Mapped[int] = mapped_column(default=0)  # documents printed so far
    pages: Mapped[int | None]
    error: Mapped[str] = mapped_column(sa.Text, default="")
    file_name: Mapped[str] = mapped_column(sa.String(200), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped["Event"] = relationship()

    @property
    def percent(self) -> int:
        """Share of documents printed, 0 to 100."""
        if self.status is PrintStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self) -> str:
        return f"<PrintBatch {self.id} {self.kind} {self.status} {self.done}/{self.total}>"
