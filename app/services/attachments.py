"""Request attachments: checked by content, stored outside the web root under random names.

Filing is in two steps so that a refused file leaves nothing behind: `check_uploads` reads and
checks every file (size, count, type by magic bytes, extension agreeing with the content) and
raises AttachmentError naming the first bad one; only then does `store` write them, and the
caller deletes what was written (`discard`) if the database commit fails.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import abort, current_app, send_file
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Attachment, ServiceRequest, User

CHUNK = 64 * 1024


class AttachmentError(ValueError):
    """A file refused; the message names it and says why, for the user."""


@dataclass(frozen=True)
class FileType:
    #: In the reader's language (lazy), so not part of the type's identity (equality, hash).
    label: str = field(compare=False)
    mimetype: str
    extensions: tuple[str, ...]


PDF = FileType(_l("PDF"), "application/pdf", ("pdf",))
PNG = FileType(_l("PNG image"), "image/png", ("png",))
JPEG = FileType(_l("JPEG image"), "image/jpeg", ("jpg", "jpeg"))
GIF = FileType(_l("GIF image"), "image/gif", ("gif",))
WEBP = FileType(_l("WebP image"), "image/webp", ("webp",))
DOCX = FileType(_l("Word document"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",))
XLSX = FileType(_l("Excel workbook"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",))
PPTX = FileType(_l("PowerPoint presentation"),
                "application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",))
DOC = FileType(_l("Word 97–2003 document"), "application/msword", ("doc",))
XLS = FileType(_l("Excel 97–2003 workbook"), "application/vnd.ms-excel", ("xls",))
PPT = FileType(_l("PowerPoint 97–2003 presentation"), "application/vnd.ms-powerpoint", ("ppt",))

TYPES = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT)
BY_EXTENSION = {ext: t for t in TYPES for ext in t.extensions}
ACCEPT = ",".join(f".{ext}" for ext in BY_EXTENSION)  # the file input's accept= (a hint, not a check)
ALLOWED_TEXT = _l("PDF, images (PNG, JPEG, GIF, WebP) and Office files (Word, Excel, PowerPoint)")

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
#: OOXML: the folder a package of each kind must contain, besides [Content_Types].xml.
OOXML_FOLDERS = {DOCX: "word/", XLSX: "xl/", PPTX: "ppt/"}
#: OLE2 (legacy Office): the main stream of each kind; directory entries name them in UTF-16LE.
#: In this order, since a document may embed a workbook (and so hold a "Workbook" stream too).
OLE2_STREAMS = {DOC: ("WordDocument",), PPT: ("PowerPoint Document",), XLS: ("Workbook", "Book")}


@dataclass
class Upload:
    """A file that passed every check, not yet written anywhere."""

    storage: FileStorage
    filename: str
    type: FileType
    size: int
    sha256: str


def display_name(raw: str | None) -> str:
    """The uploader's file name for display only: no folders, no control characters, bounded."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or "attachment"


def extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def sniff(stream: IO[bytes]) -> FileType | None:
    """The type the content shows (magic bytes; Office packages opened and looked into), or None."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(stream)
    if head.startswith(OLE2_MAGIC):
        return _sniff_ole2(stream)
    return None


def _sniff_ooxml(stream: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(stream) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return None  # a plain zip: not an Office file
    found = [t for t, folder in OOXML_FOLDERS.items() if any(n.startswith(folder) for n in names)]
    return found[0] if len(found) == 1 else None


def _sniff_ole2(stream: IO[bytes]) -> FileType | None:
    data = stream.read()
    stream.seek(0)
    for kind, streams in OLE2_STREAMS.items():
        if any(name.encode("utf-16-le") in data for name in streams):
            return kind
    return None


def _measure(storage: FileStorage, name: str, limit: int) -> tuple[int, str]:
    """Size and SHA-256 of the file, refusing it as soon as it passes the limit."""
    stream = storage.stream
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise AttachmentError(_("“%(name)s” is larger than %(size)s; attach a smaller file.", name=name, size=_mb(limit)))
        digest.update(chunk)
    stream.seek(0)
    return size, digest.hexdigest()


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def check_uploads(files: list[FileStorage]) -> list[Upload]:
    """Check every uploaded file; raise AttachmentError (naming the file) at the first refused one."""
    files = [f for f in files if f is not None and f.filename]
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    most = current_app.config["MAX_ATTACHMENTS"]
    if len(files) > most:
        raise AttachmentError(_("Attach at most %(most)d files; you chose %(chosen)d.", most=most, chosen=len(files)))
    checked = []
    for storage in files:
        name = display_name(storage.filename)
        size, sha256 = _measure(storage, name, limit)
        if size == 0:
            raise AttachmentError(_("“%(name)s” is empty.", name=name))
        claimed = BY_EXTENSION.get(extension(name))
        if claimed is None:
            raise AttachmentError(_("“%(name)s” is not a file type we accept: attach %(allowed)s.", name=name,
                                    allowed=ALLOWED_TEXT))
        actual = sniff(storage.stream)
        if actual is None:
            raise AttachmentError(_("“%(name)s” is not a real %(type)s: its content does not match its name.",
                                    name=name, type=claimed.label))
        if actual is not claimed:
            raise AttachmentError(_(
                "“%(name)s” is named as a %(claimed)s but its content is a %(actual)s; rename it or attach the "
                "right file.", name=name, claimed=claimed.label, actual=actual.label,
            ))
        checked.append(Upload(storage, name, actual, size, sha256))
    return checked


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / attachment.stored_name


def store(request: ServiceRequest, uploads: list[Upload], by: User) -> list[Path]:
    """Write checked files under random names and add their rows (flush); returns the paths written.

    If anything fails part-way, what was written so far is deleted before the error propagates.
    """
    written: list[Path] = []
    try:
        folder = upload_folder() if uploads else None
        for upload in uploads:
            stored_name = secrets.token_hex(16)
            path = folder / stored_name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            written.append(path)
            with os.fdopen(fd, "wb") as out:
                upload.storage.stream.seek(0)
                while chunk := upload.storage.stream.read(CHUNK):
                    out.write(chunk)
            db.session.add(Attachment(
                request=request, filename=upload.filename, stored_name=stored_name,
                content_type=upload.type.mimetype, size=upload.size, sha256=upload.sha256, uploaded_by=by,
            ))
        db.session.flush()
    except BaseException:
        discard(written)
        raise
    return written


def discard(paths: list[Path]) -> None:
    """Delete files written for a filing that was not committed."""
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def attachments_of(request: ServiceRequest) -> list[Attachment]:
    return list(db.session.scalars(
        db.select(Attachment).where(Attachment.request_id == request.id).order_by(Attachment.id)
    ))


def send(attachment: Attachment):
    """The file as a download, with its recorded type and no content sniffing by the browser."""
    path = path_of(attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
