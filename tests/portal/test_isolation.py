"""Isolation: every URL of the app, walked from app.url_map, as every role and as another enterprise's contact.

An enterprise contact must find no trace of another enterprise by any URL: back-office pages
answer 403; portal pages with another enterprise's ids answer exactly as ids that do not
exist (same status, same body); nothing is changed by a POST. Staff reach no portal page.
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.extensions import db as _db
from app.models import Enterprise, Invitation, RequestEvent, Role, ServiceRequest, User, Visit
from app.services import attachments, invitations
from app.services import requests as wf
from tests.portal.conftest import PDF

MISSING = 999_999
STAFF_ROLES = [Role.officer, Role.chief, Role.leader, Role.admin]
#: Values for URL variables that are not ids of a record.
FIXED = {"action": "respond", "kind": "topics", "token": "x" * 43}
#: Every id variable a route may take, and which of the victim's records fills it.
ID_ARGS = {"request_id", "attachment_id", "enterprise_id", "building_id", "visit_id", "user_id", "invitation_id",
           "entry_id", "policy_id", "event_id", "report_id", "run_id"}
SKIP = {"static"}


@pytest.fixture
def victim(app, make_building, make_enterprise, make_user, make_request):
    """Another enterprise with a request, an attachment, events, a visit, a contact and an invitation."""
    officer = make_user(Role.officer)
    building = make_building(name="Victimhouse Tower")
    enterprise = make_enterprise(name="Victoria Secretive Holdings Ltd", name_zh="维多利亚秘密控股", building=building,
                                 officer=officer, contact_name="Vera Victim", contact_phone="021-5555 1234",
                                 contact_email="vera@victoria.example")
    sr = make_request(enterprise=enterprise, by=officer, title="Quietly planning to relocate the HQ")
    wf.add_note(sr, officer, "Internal: board meets Friday", internal=True)
    contact = make_user(Role.enterprise, enterprise=enterprise, email="vera.login@victoria.example", name="Vera Victim")
    with app.test_request_context():
        uploads = attachments.check_uploads([FileStorage(io.BytesIO(PDF), filename="victoria-board-minutes.pdf")])
        attachments.store(sr, uploads, contact)
    visit = Visit(enterprise=enterprise, visited_on=sr.received_at.date(), summary="Victoria visit summary",
                  created_by=officer)
    _db.session.add(visit)
    invitation, _ = invitations.create_invitation(enterprise, name="Vic Invitee", email="invitee@victoria.example",
                                                  phone=None, by=officer)
    _db.session.commit()
    event = _db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == sr.id).limit(1))
    att = attachments.attachments_of(sr)[0]
    ids = {"request_id": sr.id, "attachment_id": att.id, "enterprise_id": enterprise.id, "building_id": building.id,
           "visit_id": visit.id, "user_id": contact.id, "invitation_id": invitation.id, "event_id": event.id,
           "entry_id": 1, "policy_id": 1, "report_id": 1, "run_id": 1}
    traces = [enterprise.name, "Victoria", "维多利亚", enterprise.uscc, sr.title, sr.reference, att.filename, att.stored_name,
              "Vera", "vera@victoria.example", "invitee@victoria.example", "Victimhouse", "board meets"]
    return {"ids": ids, "traces": traces, "request": sr, "enterprise": enterprise, "contact": contact,
            "invitation": invitation}


def rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        unknown = set(rule.arguments) - ID_ARGS - set(FIXED)
        assert not unknown, f"{rule.rule}: teach test_isolation what to put in {unknown}"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def url(rule, ids: dict) -> str:
    values = {name: FIXED.get(name, ids.get(name)) for name in rule.arguments}
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


MISSING_IDS = dict.fromkeys(ID_ARGS, MISSING)
NOISE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+|(nonce=")[^"]+|(data-now=")[^"]+')


def normalised(response) -> str:
    return NOISE.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "…", response.get_data(as_text=True))


def call(browser, method, path):
    if method == "GET":
        return browser.get(path)
    return browser.post(path, {"text": "x", "rating": "1", "version": "1", "name": "x", "email": "x@example.com",
                               "contact_name": "Intruder"}, token_from="/")


def assert_no_trace(response, traces, where):
    body = response.get_data(as_text=True) + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for trace in traces:
        assert trace not in body, f"{where}: {trace!r} leaked"


def snapshot(victim) -> tuple:
    _db.session.expire_all()
    sr = _db.session.get(ServiceRequest, victim["request"].id)
    e = _db.session.get(Enterprise, victim["enterprise"].id)
    return (
        sr.state, sr.version, sr.rating,
        _db.session.scalar(select(func.count()).select_from(RequestEvent).where(RequestEvent.request_id == sr.id)),
        e.contact_name, e.contact_phone, e.contact_email,
        _db.session.get(User, victim["contact"].id).active,
        _db.session.get(Invitation, victim["invitation"].id).revoked_at,
        _db.session.scalar(select(func.count()).select_from(Invitation)),
    )


def test_another_enterprises_contact_finds_no_trace(app, browser, login_as, make_enterprise, make_request, victim):
    own = make_enterprise(name="Attacker Trading Ltd")
    login_as(Role.enterprise, enterprise=own)
    mine = make_request(enterprise=own, title="Our own request")
    before = snapshot(victim)
    checked = 0
    for rule, method in rules(app):
        if rule.endpoint == "portal.invitation":
            continue  # public, by token only: covered below with a token that is not the victim's
        where = f"{method} {rule.rule}"
        victim_response = call(browser, method, url(rule, victim["ids"]))
        assert_no_trace(victim_response, victim["traces"], where)
        if rule.endpoint.startswith("portal."):
            if not rule.arguments:
                assert victim_response.status_code in (200, 302, 422), where
                continue
            missing_response = call(browser, method, url(rule, MISSING_IDS))
            assert victim_response.status_code == missing_response.status_code == 404, where
            assert normalised(victim_response) == normalised(missing_response), where
        else:
            assert victim_response.status_code in (401, 403, 405) or (
                rule.endpoint in ("auth.login", "auth.logout", "main.healthz", "i18n.switch")), (where, victim_response.status_code)
            if rule.endpoint == "auth.logout":
                login_as(Role.enterprise, enterprise=own)
        checked += 1
    assert checked > 40
    # The victim's attachment under our own request's id is no better.
    crossed = browser.get(f"/portal/requests/{mine.id}/attachments/{victim['ids']['attachment_id']}")
    missing = browser.get(f"/portal/requests/{mine.id}/attachments/{MISSING}")
    assert crossed.status_code == missing.status_code == 404 and normalised(crossed) == normalised(missing)
    assert snapshot(victim) == before
    response = browser.get("/portal/invitation/" + FIXED["token"])
    assert response.status_code == 404
    assert_no_trace(response, victim["traces"], "invitation")


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_reach_no_portal_page_and_missing_ids_are_404(app, browser, login_as, victim, role):
    login_as(role)
    for rule, method in rules(app):
        where = f"{role.value} {method} {rule.rule}"
        if rule.endpoint.startswith("portal.") and rule.endpoint != "portal.invitation":
            response = call(browser, method, url(rule, victim["ids"]))
            assert response.status_code == 403, (where, response.status_code)
            assert_no_trace(response, victim["traces"], where)
        elif rule.arguments & ID_ARGS:
            response = call(browser, method, url(rule, MISSING_IDS))
            assert response.status_code in (403, 404), (where, response.status_code)
            assert_no_trace(response, victim["traces"], where)


def test_portal_lists_are_scoped(browser, login_as, make_enterprise, victim):
    login_as(Role.enterprise, enterprise=make_enterprise(name="Attacker Trading Ltd"))
    for path in ("/portal/", "/portal/?page=1", "/portal/requests/new", "/portal/details"):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert_no_trace(response, victim["traces"], path)
