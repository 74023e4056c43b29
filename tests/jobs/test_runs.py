"""The run life cycle shared by report and import jobs: which failures are retried."""
from __future__ import annotations

import errno
import os

import psycopg
import pytest
import xlsxwriter
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from xlsxwriter.exceptions import FileCreateError

from app.jobs.runs import JobFailure, describe, is_transient


def raised(action) -> BaseException:
    try:
        action()
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def os_error(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def file_create_error(cause: OSError) -> FileCreateError:
    """What XlsxWriter's Workbook.close() raises when the file cannot be written (it wraps the OSError)."""
    def close():
        try:
            raise cause
        except OSError as exc:
            raise FileCreateError(exc)
    return raised(close)


def wrapped(orig: Exception, **kw) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig, **kw)


def sqlite_error(path, statement: str) -> OperationalError:
    """A real SQLite error: `statement` run while another connection holds a write lock."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as holder:
            holder.execute(text("CREATE TABLE t (x INTEGER)"))
            holder.commit()
            holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock
            with engine.connect() as other:
                return raised(lambda: other.execute(text(statement)))
    finally:
        engine.dispose()


def test_io_errors_that_may_pass_are_transient():
    for code in (errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.ECONNRESET,
                 errno.ECONNREFUSED):
        assert is_transient(os_error(code)), errno.errorcode[code]
    assert is_transient(ConnectionResetError()) and is_transient(TimeoutError())  # a socket without an errno


def test_a_misconfigured_folder_is_not_transient(tmp_path):
    a_file = tmp_path / "reports"
    a_file.write_text("not a folder")
    assert not is_transient(raised(lambda: open(tmp_path / "missing" / "x.xlsx", "wb")))  # FileNotFoundError
    assert not is_transient(raised(lambda: open(tmp_path, "wb")))  # IsADirectoryError
    assert not is_transient(raised(lambda: (a_file / "x").mkdir()))  # NotADirectoryError
    assert not is_transient(PermissionError(errno.EACCES, "Permission denied"))


def test_xlsxwriter_save_errors_are_judged_by_their_os_error(tmp_path):
    assert is_transient(file_create_error(os_error(errno.ENOSPC)))  # a full disk while saving the workbook
    missing = raised(lambda: xlsxwriter.Workbook(str(tmp_path / "missing" / "x.xlsx")).close())
    assert isinstance(missing, FileCreateError) and not is_transient(missing)


def test_sqlite_busy_is_transient_a_missing_table_is_not(tmp_path):
    locked = sqlite_error(tmp_path / "a.db", "INSERT INTO t VALUES (2)")
    assert "database is locked" in str(locked) and is_transient(locked)
    missing = sqlite_error(tmp_path / "b.db", "SELECT * FROM no_such_table")
    assert "no such table" in str(missing) and not is_transient(missing)


def test_postgresql_lost_or_refused_connections_are_transient():
    refused = raised(lambda: create_engine("postgresql+psycopg://postgres@127.0.0.1:1/butler").connect())
    assert isinstance(refused, OperationalError) and "Connection refused" in str(refused)
    assert is_transient(refused)
    assert is_transient(wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")))
    assert is_transient(wrapped(Exception("server closed the connection unexpectedly"), connection_invalidated=True))
    assert not is_transient(wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")))
    assert not is_transient(wrapped(Exception("some driver's error")))


def test_driver_errors_raised_unwrapped_are_judged_alike():
    """The tax import COPYs on psycopg's own cursor: its errors reach the job as psycopg raised them."""
    assert is_transient(psycopg.errors.DeadlockDetected("deadlock detected"))  # two imports of the same months
    assert is_transient(psycopg.errors.AdminShutdown("terminating connection"))
    assert is_transient(psycopg.OperationalError("consuming input failed: server closed the connection"))
    assert not is_transient(psycopg.errors.UniqueViolation("duplicate key value"))
    assert not is_transient(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))


def test_redis_outages_are_transient_program_errors_are_not():
    assert is_transient(RedisConnectionError("Connection refused"))
    assert not is_transient(ValueError("the tax table has no rows for 2026-02"))
    assert not is_transient(KeyError("kind"))


def test_a_job_failure_is_shown_as_it_is_anything_else_without_its_text():
    assert describe(JobFailure("The sheet is missing the column district_tax.")) == (
        "The sheet is missing the column district_tax.")
    leak = wrapped(Exception('connection to server at "db.internal" (10.0.0.5), port 5432 failed'))
    assert describe(leak) == "The job failed unexpectedly (OperationalError); it has been logged."
    assert describe(ValueError()) == "The job failed unexpectedly (ValueError); it has been logged."
