"""Background runs on the queue: generated reports and uploaded imports.

A run row is the user-facing record of a queue job: who asked, when, its status, how long it
took and, when it failed, why. Progress while it runs lives in the RQ job's meta (Redis), so a
job can report progress without committing its own all-or-nothing transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import enum_column
from app.models.workflow import LabelledEnum


class RunStatus(LabelledEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.done, RunStatus.failed)

    @property
    def label(self):
        return _STATUS_LABELS[self.value]


_STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}


class ReportKind(LabelledEnum):
    tax = "tax"
    retention = "retention"
    service = "service"
    pack = "pack"

    @property
    def label(self):
        # Not in workflow.LABELS: its keys compare as strings, and ImportKind.tax == "tax" too.
        return _REPORT_LABELS[self.value]


_REPORT_LABELS = {"tax": _l("Tax revenue"), "retention": _l("Enterprise retention"), "service": _l("Service (51530)"),
                  "pack": _l("Monthly pack")}


class ImportKind(LabelledEnum):
    tax = "tax"
    enterprises = "enterprises"

    @property
    def label(self):
        return _IMPORT_LABELS[self.value]


_IMPORT_LABELS = {"tax": _l("Monthly tax records"), "enterprises": _l("Enterprises")}


class RunMixin:
    """Columns every queue run has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, "run_status"), default=RunStatus.queued, index=True)
    #: The RQ job id of the latest attempt.
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: Why the run failed (shown to the user), or None.
    error: Mapped[str | None] = mapped_column(Text)
    #: Attempts started so far (transient failures are retried by RQ).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def requested_by_id(cls) -> Mapped[int | None]:
        # None for runs the system starts itself (the monthly pack).
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def requested_by(cls) -> Mapped["User | None"]:  # noqa: F821
        return relationship(foreign_keys=[cls.requested_by_id])

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class ReportRun(RunMixin, db.Model):
    """One generated report: kind, period, who asked, status, file, error."""

    __tablename__ = "report_runs"
    __table_args__ = (CheckConstraint("length(period) = 7 AND substr(period, 5, 1) = '-'", name="period_format"),)

    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "report_kind"))
    #: The month reported on, 'YYYY-MM'.
    period: Mapped[str] = mapped_column(String(7))
    #: The interface language the workbook is written in.
    locale: Mapped[str] = mapped_column(String(10), default="en")
    #: Set only on automatic runs ("pack:2026-10"): unique, so the monthly pack is made once
    #: however many workers fire the schedule.
    schedule_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: The finished workbook's name inside REPORT_FOLDER (written under a temporary name first).
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    size: Mapped[int | None] = mapped_column(Integer)
    #: The failed run this one retries.
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("report_runs.id", ondelete="SET NULL"))

    @property
    def download_name(self) -> str:
        return f"butler-{self.kind.value}-{self.period}.xlsx"


class ImportRun(RunMixin, db.Model):
    """One uploaded import file, validated and applied by a queue job."""

    __tablename__ = "import_runs"

    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind, "import_kind"))
    #: The uploader's file name (display only, never used as a path).
    filename: Mapped[str] = mapped_column(String(255))
    #: The upload's random name inside UPLOAD_FOLDER/imports.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int | None] = mapped_column(Integer)
    inserted: Mapped[int | None] = mapped_column(Integer)
    updated: Mapped[int | None] = mapped_column(Integer)
    unchanged: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int | None] = mapped_column(Integer)
    #: The error sheet's random name inside UPLOAD_FOLDER/imports, when the file had errors.
    error_file: Mapped[str | None] = mapped_column(String(64), unique=True)
