"""Filing a request in the portal, with attachments checked by content; a refusal stores nothing."""
import hashlib
import io
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Attachment, Channel, HandlingMode, RequestEvent, ServiceRequest, Topic
from app.services import attachments
from tests.portal.conftest import (
    DOC, DOCX, EXE, GIF, JPEG, PDF, PNG, PPT, PPTX, WEBP, XLS, XLSX, plain_zip, stored_files,
)


def topic_id() -> int:
    return _db.session.scalar(select(Topic.id).where(Topic.name == "Property and facilities"))


def form(*files, **overrides) -> dict:
    data = {"category": "problem", "topic_id": str(topic_id()), "title": "Water leak in the server room",
            "description": "Water is dripping from the ceiling of room 1203 since this morning."}
    data.update(overrides)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return data


def file_request(browser, *files, **overrides):
    return browser.post("/portal/requests/new", form(*files, **overrides), token_from="/portal/requests/new",
                        content_type="multipart/form-data")


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def assert_nothing_stored(folder):
    assert count(ServiceRequest) == 0 and count(Attachment) == 0 and count(RequestEvent) == 0
    assert stored_files(folder) == []


def test_file_with_a_pdf_and_a_png(browser, contact, enterprise, officer, upload_folder):
    response = file_request(browser, ("Floor plan.pdf", PDF), ("../../leak photo.PNG", PNG))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sr = _db.session.scalar(select(ServiceRequest))
    assert response.headers["Location"].endswith(f"/portal/requests/{sr.id}/filed")
    assert sr.enterprise_id == enterprise.id and sr.channel is Channel.portal
    assert sr.handling_mode.code == "on-site" and sr.assigned_officer_id == officer.id
    assert sr.created_by_id == contact.id

    rows = _db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.filename, a.content_type) for a in rows] == [("Floor plan.pdf", "application/pdf"),
                                                           ("leak photo.PNG", "image/png")]
    files = stored_files(upload_folder)
    assert sorted(p.name for p in files) == sorted(a.stored_name for a in rows)
    for a, content in zip(rows, (PDF, PNG), strict=True):
        assert re.fullmatch(r"[0-9a-f]{32}", a.stored_name)
        assert (upload_folder / a.stored_name).read_bytes() == content
        assert a.sha256 == hashlib.sha256(content).hexdigest() and a.size == len(content)
        assert a.uploaded_by_id == contact.id

    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert sr.reference in page
    for m in sr.current_milestones():
        assert m.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") in page
    assert "Floor plan.pdf" in page


def test_file_without_attachments(browser, contact, upload_folder):
    assert file_request(browser).status_code == 302
    assert count(ServiceRequest) == 1 and count(Attachment) == 0 and stored_files(upload_folder) == []


def test_missing_fields_are_refused(browser, contact, upload_folder):
    response = file_request(browser, ("a.pdf", PDF), title="", category="")
    assert response.status_code == 422
    assert_nothing_stored(upload_folder)


def test_an_oversized_file_is_refused_and_nothing_stored(app, browser, contact, upload_folder):
    app.config["MAX_ATTACHMENT_BYTES"] = 1000
    big = PDF + b"0" * 1000
    response = file_request(browser, ("ok.pdf", PDF), ("Big scan.pdf", big))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“Big scan.pdf” is larger than" in body and "Nothing was filed" in body
    assert_nothing_stored(upload_folder)


@pytest.mark.parametrize("name, content, words", [
    ("invoice.pdf", EXE, "“invoice.pdf” is not a real PDF"),
    ("photo.pdf", PNG, "“photo.pdf” is named as a PDF but its content is a PNG image"),
    ("setup.exe", EXE, "“setup.exe” is not a file type we accept"),
    ("report.docx", plain_zip(), "“report.docx” is not a real Word document"),
    ("sheet.xlsx", DOCX, "is named as a Excel workbook but its content is a Word document"),
    ("notes.txt", b"hello", "not a file type we accept"),
    ("empty.pdf", b"", "“empty.pdf” is empty"),
])
def test_a_disguised_file_is_refused_and_nothing_stored(browser, contact, upload_folder, name, content, words):
    response = file_request(browser, ("good.png", PNG), (name, content))
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert_nothing_stored(upload_folder)


def test_too_many_files_are_refused(app, browser, contact, upload_folder):
    files = [(f"page{i}.pdf", PDF) for i in range(app.config["MAX_ATTACHMENTS"] + 1)]
    response = file_request(browser, *files)
    assert response.status_code == 422 and "Attach at most 5 files" in response.get_data(as_text=True)
    assert_nothing_stored(upload_folder)


def test_files_are_removed_when_the_commit_fails(browser, contact, upload_folder, monkeypatch):
    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(_db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        file_request(browser, ("a.pdf", PDF), ("b.png", PNG))
    monkeypatch.undo()
    _db.session.rollback()
    assert_nothing_stored(upload_folder)


def test_portal_mode_falls_back_to_the_first_active_unstaged_mode(browser, contact, upload_folder):
    on_site = _db.session.scalar(select(HandlingMode).where(HandlingMode.code == "on-site"))
    on_site.active = False
    _db.session.commit()
    assert file_request(browser).status_code == 302
    mode = _db.session.scalar(select(ServiceRequest)).handling_mode
    assert mode.active and not mode.staged and mode.code != "on-site"


def test_an_inactive_topic_cannot_be_chosen(browser, contact, upload_folder):
    topic = _db.session.get(Topic, topic_id())
    topic.active = False
    _db.session.commit()
    assert file_request(browser).status_code == 422
    assert_nothing_stored(upload_folder)


@pytest.mark.parametrize("name, content, mimetype", [
    ("a.pdf", PDF, "application/pdf"), ("a.png", PNG, "image/png"), ("a.jpg", JPEG, "image/jpeg"),
    ("a.jpeg", JPEG, "image/jpeg"), ("a.gif", GIF, "image/gif"), ("a.webp", WEBP, "image/webp"),
    ("a.docx", DOCX, attachments.DOCX.mimetype), ("a.xlsx", XLSX, attachments.XLSX.mimetype),
    ("a.pptx", PPTX, attachments.PPTX.mimetype), ("a.doc", DOC, "application/msword"),
    ("a.xls", XLS, "application/vnd.ms-excel"), ("a.ppt", PPT, "application/vnd.ms-powerpoint"),
])
def test_every_accepted_type_is_recognised_by_content(app, name, content, mimetype):
    from werkzeug.datastructures import FileStorage

    with app.test_request_context():
        [upload] = attachments.check_uploads([FileStorage(io.BytesIO(content), filename=name)])
    assert upload.type.mimetype == mimetype


def test_display_names_keep_no_folders_or_control_characters():
    assert attachments.display_name("C:\\Users\\me\\..\\报告.pdf") == "报告.pdf"
    assert attachments.display_name("../../etc/passwd\x00\n.pdf") == "passwd.pdf"
    assert attachments.display_name("") == "attachment"
    assert len(attachments.display_name("x" * 400 + ".pdf")) <= 255
