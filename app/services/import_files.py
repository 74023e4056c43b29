"""Files of web imports: uploads and error sheets under random names in UPLOAD_FOLDER/imports.

The uploader's file name is kept on the ImportRun for display only; on disk every file has a
random name, outside the web root, readable only by the app. An error sheet is written under a
temporary name and renamed when complete, so a half-written sheet is never served.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import ImportKind, ImportRun, User
from app.services.attachments import CHUNK, display_name
from app.services.imports import RowError, write_error_sheet

#: The subfolder of UPLOAD_FOLDER that holds import files.
SUBFOLDER = "imports"


def import_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(stored_name: str) -> Path:
    """The path of a file this module stored (the name is ours, never the user's)."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / SUBFOLDER / stored_name


def _random_name(suffix: str) -> str:
    return secrets.token_hex(16) + suffix


def save_upload(kind: ImportKind, storage: FileStorage, by: User) -> ImportRun:
    """Store an uploaded file under a random name and add its queued ImportRun with its job id (flush; the
    caller commits, then enqueues).

    The file is deleted again if anything fails before the flush; after a failed commit the
    caller removes it with `discard(run)`.
    """
    filename = display_name(storage.filename)
    suffix = os.path.splitext(filename)[1].lower()
    stored_name = _random_name(suffix)
    path = import_folder() / stored_name
    size = 0
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            storage.stream.seek(0)
            while chunk := storage.stream.read(CHUNK):
                out.write(chunk)
                size += len(chunk)
        run = ImportRun(kind=kind, filename=filename, stored_name=stored_name, size=size, requested_by=by)
        db.session.add(run)
        db.session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # The job id is committed with the run, before the job is enqueued, so a run whose enqueueing
    # never happened is found out by reconcile() instead of staying queued for ever.
    run.job_id = f"import-{run.id}-{secrets.token_hex(4)}"
    return run


def save_error_sheet(run: ImportRun, errors: Iterable[RowError]) -> None:
    """Write the run's error sheet (temporary name, then renamed) and record its name on the run."""
    stored_name = _random_name(".xlsx")
    final = import_folder() / stored_name
    partial = final.with_name(stored_name + ".part")
    try:
        write_error_sheet(errors, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    run.error_file = stored_name


def read_errors(run: ImportRun, limit: int) -> list[RowError] | None:
    """The first `limit` errors, read back from the run's error sheet; None when the sheet is gone."""
    from openpyxl import load_workbook

    if not run.error_file or not path_of(run.error_file).is_file():
        return None
    book = load_workbook(path_of(run.error_file), read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(min_row=2, max_row=limit + 1, values_only=True)
        return [RowError(row, column, reason) for row, column, reason, *_ in rows]
    finally:
        book.close()


def discard(run: ImportRun) -> None:
    """Delete the run's uploaded file, once its import has ended (its error sheet, if any, stays)."""
    path_of(run.stored_name).unlink(missing_ok=True)
