"""Following requests in the portal: list with countdowns, public timeline, comments, rating, downloads, details."""
import io

from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEvent, AuditKind, Enterprise, EventKind, RequestEvent, Role, ServiceRequest, State
from app.services import requests as wf
from tests.portal.conftest import PDF, advance


def test_my_requests_with_live_countdowns(browser, contact, enterprise, officer, make_request, make_enterprise):
    mine = make_request(enterprise=enterprise, by=officer, title="Broken turnstile at the lobby")
    other = make_request(enterprise=make_enterprise(name="Rival Holdings"), title="Rival's secret plan")
    page = browser.get("/portal/").get_data(as_text=True)
    assert "Broken turnstile at the lobby" in page and mine.reference in page
    assert "Rival" not in page and other.reference not in page
    assert 'class="countdown countdown-' in page and 'data-due="' in page
    assert "js/countdown.js" in page
    # The liaison officer: name and phone.
    assert "Zhou Min" in page and "13800001111" in page
    # The portal's own layout: its three places, nothing of the back office.
    for label in ("My requests", "New request", "Our details", "Log out"):
        assert label in page
    assert "/buildings" not in page and "/requests/" not in page.replace("/portal/requests/", "")


def test_detail_shows_the_public_timeline_only(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    wf.add_note(sr, officer, "Internal: the landlord is difficult, escalate quietly", internal=True)
    wf.add_note(sr, officer, "We have called the building management.", internal=False)
    _db.session.commit()
    page = browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True)
    assert "We have called the building management." in page
    assert "landlord is difficult" not in page and "internal" not in page.lower().replace("internal:", "")
    assert sr.reference in page and "Zhou Min" in page and "13800001111" in page
    assert 'class="countdown' in page


def test_comment(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    response = browser.post(f"/portal/requests/{sr.id}/comment", {"text": "The leak is getting worse."},
                            token_from=f"/portal/requests/{sr.id}")
    assert response.status_code == 302
    event = _db.session.scalar(select(RequestEvent).where(RequestEvent.kind == EventKind.comment))
    assert event.text == "The leak is getting worse." and event.actor_id == contact.id and not event.internal
    assert "The leak is getting worse." in browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True)
    # An empty comment is refused and changes nothing.
    response = browser.post(f"/portal/requests/{sr.id}/comment", {"text": "  "}, token_from=f"/portal/requests/{sr.id}")
    assert response.status_code == 422


def rate(browser, sr, rating, comment=""):
    page = f"/portal/requests/{sr.id}"
    return browser.post(f"{page}/rate", {"rating": str(rating), "comment": comment, "version": str(sr.version)},
                        token_from=page)


def reload(sr) -> ServiceRequest:
    _db.session.expire_all()
    return _db.session.get(ServiceRequest, sr.id)


def test_rating_5_closes(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    assert "Confirm and rate" not in browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True)
    advance(sr, officer, "respond", "arrive", "resolve")
    assert "Confirm and rate" in browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True)
    assert rate(browser, sr, 5, "Fast and friendly").status_code == 302
    sr = reload(sr)
    assert sr.state is State.closed and sr.rating == 5 and sr.rating_comment == "Fast and friendly"


def test_rating_2_reopens(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    advance(sr, officer, "respond", "arrive", "resolve")
    assert rate(browser, sr, 2, "Still leaking").status_code == 302
    sr = reload(sr)
    assert sr.state is State.reopened and sr.cycle == 2
    assert "reopened" in browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True).lower()


def test_rating_before_resolution_is_refused(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    rate(browser, sr, 5)
    sr = reload(sr)
    assert sr.state is State.submitted and sr.rating is None


def test_a_rating_needs_a_value(browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    advance(sr, officer, "respond", "arrive", "resolve")
    response = rate(browser, sr, "")
    assert response.status_code == 422 and "Choose a rating" in response.get_data(as_text=True)
    assert reload(sr).state is State.resolved


def test_contact_details_edit_leaves_registry_data_alone(browser, contact, enterprise):
    before = (enterprise.name, enterprise.uscc, enterprise.industry, enterprise.officer_id)
    response = browser.post("/portal/details", {
        "contact_name": "Wang Fang", "contact_phone": "021-6288 0000", "contact_email": "Wang.Fang@Acme.example",
        "name": "Hacked Name Ltd", "uscc": "91310000000000000X", "industry": "A", "officer_id": "1",
    }, token_from="/portal/details")
    assert response.status_code == 302
    _db.session.expire_all()
    e = _db.session.get(Enterprise, enterprise.id)
    assert (e.contact_name, e.contact_phone, e.contact_email) == ("Wang Fang", "021-6288 0000", "wang.fang@acme.example")
    assert (e.name, e.uscc, e.industry, e.officer_id) == before
    response = browser.post("/portal/details", {"contact_email": "not an email"}, token_from="/portal/details")
    assert response.status_code == 422


def _attach(sr, by, name="Plan.pdf", content=PDF):
    from werkzeug.datastructures import FileStorage

    from app.services import attachments

    uploads = attachments.check_uploads([FileStorage(io.BytesIO(content), filename=name)])
    attachments.store(sr, uploads, by)
    _db.session.commit()
    return attachments.attachments_of(sr)[0]


def test_download_by_the_enterprise(app, browser, contact, enterprise, officer, make_request):
    sr = make_request(enterprise=enterprise, by=officer)
    with app.test_request_context():
        att = _attach(sr, contact)
    page = browser.get(f"/portal/requests/{sr.id}").get_data(as_text=True)
    assert f"/portal/requests/{sr.id}/attachments/{att.id}" in page
    response = browser.get(f"/portal/requests/{sr.id}/attachments/{att.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;") and "Plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.kind == AuditKind.download))
    assert event.actor_id == contact.id and event.enterprise_id == enterprise.id
    # The attachment must belong to the request in the URL.
    other = make_request(enterprise=enterprise, by=officer)
    assert browser.get(f"/portal/requests/{other.id}/attachments/{att.id}").status_code == 404


def test_download_by_staff_and_not_by_another_enterprise(app, browser, login_as, enterprise, officer, make_request,
                                                         make_user, make_enterprise):
    sr = make_request(enterprise=enterprise, by=officer)
    with app.test_request_context():
        att = _attach(sr, officer, name="Site photo.pdf")
    login_as(Role.leader)
    page = browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    assert "Site photo.pdf" in page
    response = browser.get(f"/requests/{sr.id}/attachments/{att.id}")
    assert response.status_code == 200 and response.data == PDF and response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    browser.post("/logout")
    login_as(Role.enterprise, enterprise=make_enterprise())
    denied = browser.get(f"/portal/requests/{sr.id}/attachments/{att.id}")
    missing = browser.get(f"/portal/requests/{sr.id}/attachments/999999")
    assert denied.status_code == missing.status_code == 404
    assert denied.get_data() == missing.get_data()
    assert browser.get(f"/requests/{sr.id}/attachments/{att.id}").status_code == 403


def test_staff_are_told_a_transition_note_reaches_the_enterprise(browser, login_as, enterprise, officer, make_request):
    """A transition's note (respond, arrive, resolve...) is on the portal timeline; its field must say so."""
    sr = make_request(enterprise=enterprise, by=officer)
    wf.transition(sr, "respond", officer, text="Called the GM back")
    _db.session.commit()
    login_as(Role.officer)
    page = browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    arrive = page[page.index('id="arrive-note"') - 400:page.index("</form>", page.index('id="arrive-note"'))]
    assert "The enterprise sees this note on its portal" in arrive


def test_the_liaison_officer_card_shows_name_and_phone_but_not_the_staff_login(browser, contact, enterprise, officer,
                                                                                make_request):
    """A staff account's email is its back-office login: an enterprise contact never sees it."""
    sr = make_request(enterprise=enterprise, by=officer)
    for url in ("/portal/", f"/portal/requests/{sr.id}", "/portal/requests/new"):
        page = browser.get(url).get_data(as_text=True)
        assert "Zhou Min" in page and "13800001111" in page, url
        assert officer.email not in page, url
