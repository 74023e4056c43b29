"""Portal fixtures: an upload folder per test, enterprise contacts, sample files, a resolved request."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.models import Role
from app.services import requests as wf


@pytest.fixture(autouse=True)
def _fresh_upload_folder(upload_folder):
    """Attachments go to a fresh temporary folder in every test (tests/conftest.py)."""
    return upload_folder


def stored_files(folder) -> list:
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def officer(make_user):
    return make_user(Role.officer, name="Zhou Min", phone="13800001111")


@pytest.fixture
def enterprise(make_enterprise, officer):
    return make_enterprise(name="Acme Trading (Shanghai) Co., Ltd.", officer=officer,
                           contact_name="Old Contact", contact_phone="021-0000")


@pytest.fixture
def contact(login_as, enterprise):
    """Log the browser in as a contact of `enterprise`."""
    return login_as(Role.enterprise, enterprise=enterprise, name="Lin Jiahui")


def advance(sr, officer, *actions):
    """Drive a request through staff transitions (respond, arrive, resolve...) and commit."""
    from app.extensions import db

    for action in actions:
        wf.transition(sr, action, officer, text="Done: the lift is repaired." if action in ("resolve", "give_plan") else None)
    db.session.commit()


# --- sample files ---------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 20 + b";"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 28
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode."


def ooxml(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("_rels/.rels", "<Relationships/>")
        package.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "hello")
    return buffer.getvalue()


def ole2(stream: str) -> bytes:
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 500 + stream.encode("utf-16-le") + b"\x00" * 100


DOCX, XLSX, PPTX = ooxml("word"), ooxml("xl"), ooxml("ppt")
DOC, XLS, PPT = ole2("WordDocument"), ole2("Workbook"), ole2("PowerPoint Document")
