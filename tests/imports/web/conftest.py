"""Web import fixtures: an upload folder per test, uploading through the form, a worker burst."""
from __future__ import annotations

import io
import re

import pytest

from app.extensions import db as _db
from app.jobs.worker import make_worker
from app.models import ImportRun, Role
from app.queue import get_redis


@pytest.fixture(autouse=True)
def _fresh_upload_folder(upload_folder):
    """Uploads and error sheets go to a fresh temporary folder in every test (tests/conftest.py)."""
    return upload_folder


def stored_files(folder) -> list[str]:
    imports = folder / "imports"
    return sorted(p.name for p in imports.iterdir()) if imports.exists() else []


@pytest.fixture
def officer(login_as):
    return login_as(Role.officer, name="Zhou Min")


@pytest.fixture
def upload(browser):
    """upload(content, filename, kind) -> the response to the form (not followed)."""

    def post(content: bytes | str, filename: str, kind: str = "tax"):
        data = content.encode("utf-8") if isinstance(content, str) else content
        return browser.post("/imports/", {"kind": kind, "file": (io.BytesIO(data), filename)},
                            token_from="/imports/")

    return post


def run_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/imports/runs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def work(app) -> bool:
    """Run the queued jobs in this process, as a worker would."""
    return make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)


def fresh_run(run_id: int) -> ImportRun:
    _db.session.expire_all()
    return _db.session.get(ImportRun, run_id)
