"""Invitations: an officer invites a contact, the contact sets a password once and lands in the portal."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db as _db
from app.models import AuditEvent, AuditKind, Invitation, Role, User

LINK = re.compile(r"/portal/invitation/([A-Za-z0-9_-]{40,})")
GOOD = "lantern-harbour-2026"


def invite(browser, enterprise, email="li.na@acme.example", name="Li Na", phone="13900002222"):
    return browser.post(f"/enterprises/{enterprise.id}/invitations", {"name": name, "email": email, "phone": phone},
                        token_from=f"/enterprises/{enterprise.id}")


def invite_link(browser, login_as, enterprise, **kw) -> str:
    login_as(Role.officer)
    response = invite(browser, enterprise, **kw)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    token = LINK.search(response.get_data(as_text=True)).group(1)
    assert browser.post("/logout").status_code == 302
    return f"/portal/invitation/{token}"


def accept(browser, link, password=GOOD, confirm=None):
    return browser.post(link, {"password": password, "confirm": confirm or password}, token_from=link)


def audit_kinds() -> list[AuditKind]:
    return list(_db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


def test_officer_invites_and_contact_lands_in_the_portal(browser, login_as, enterprise):
    officer = login_as(Role.officer)
    page = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert 'id="portal"' in page and "Invite a contact" in page

    response = invite(browser, enterprise)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = LINK.search(body).group(1)
    invitation = _db.session.scalar(select(Invitation))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash and invitation.invited_by_id == officer.id
    assert (invitation.expires_at - invitation.created_at) == timedelta(hours=72)
    assert "Email is not set up" in body
    # The pending invitation is listed on the enterprise page, without its link.
    page = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "li.na@acme.example" in page and token not in page

    browser.post("/logout")
    link = f"/portal/invitation/{token}"
    form = browser.get(link)
    assert form.status_code == 200 and enterprise.name in form.get_data(as_text=True)
    response = accept(browser, link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")
    user = _db.session.scalar(select(User).where(User.email == "li.na@acme.example"))
    assert user.role is Role.enterprise and user.enterprise_id == enterprise.id and user.phone == "13900002222"
    assert user.check_password(GOOD)
    _db.session.refresh(invitation)
    assert invitation.used_at is not None and invitation.user_id == user.id
    home = browser.get("/portal/")
    assert home.status_code == 200 and enterprise.name in home.get_data(as_text=True)
    assert browser.get("/requests/").status_code == 403  # never the back office
    assert {AuditKind.invitation, AuditKind.invitation_accepted} <= set(audit_kinds())


def assert_dead_link(response, words: str):
    body = response.get_data(as_text=True)
    assert response.status_code == 410, body[:500]
    assert words in body
    assert 'name="password"' not in body and 'type="password"' not in body


def test_a_used_link_says_so_and_offers_nothing(browser, login_as, enterprise):
    link = invite_link(browser, login_as, enterprise)
    assert accept(browser, link).status_code == 302
    browser.post("/logout", token_from="/portal/")
    assert_dead_link(browser.get(link), "already been used")
    before = _db.session.scalar(select(func.count()).select_from(User))
    response = browser.client.post(link, data={"password": "another-password-1", "confirm": "another-password-1"})
    assert response.status_code in (400, 410)
    assert _db.session.scalar(select(func.count()).select_from(User)) == before


def test_an_expired_link_says_so(browser, login_as, enterprise):
    link = invite_link(browser, login_as, enterprise)
    clock.freeze(clock.now() + timedelta(hours=73))
    try:
        assert_dead_link(browser.get(link), "expired")
    finally:
        clock.freeze(None)
    assert _db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.enterprise)) == 0


def test_a_revoked_invitation_says_so(browser, login_as, enterprise):
    login_as(Role.officer)
    token = LINK.search(invite(browser, enterprise).get_data(as_text=True)).group(1)
    invitation = _db.session.scalar(select(Invitation))
    response = browser.post(f"/enterprises/{enterprise.id}/invitations/{invitation.id}/revoke",
                            token_from=f"/enterprises/{enterprise.id}")
    assert response.status_code == 302
    _db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    assert AuditKind.invitation_revoked in audit_kinds()
    browser.post("/logout")
    assert_dead_link(browser.get(f"/portal/invitation/{token}"), "withdrawn")


def test_an_unknown_link_is_not_found(browser):
    response = browser.get("/portal/invitation/" + "x" * 43)
    assert response.status_code == 404 and 'type="password"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "at least 10 characters"),
    (GOOD, GOOD + "x", "not the same"),
])
def test_password_refused_creates_nothing(browser, login_as, enterprise, password, confirm, message):
    link = invite_link(browser, login_as, enterprise)
    response = accept(browser, link, password, confirm)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.enterprise)) == 0
    assert _db.session.scalar(select(Invitation.used_at)) is None


def test_password_policy_of_the_users_service_applies(browser, login_as, enterprise, monkeypatch):
    """Whatever the account policy says (it may grow a common-password list), acceptance obeys it."""
    from app.services import users

    def policy(password, **kw):
        raise users.UserError("That password is too common; choose another.")

    monkeypatch.setattr(users, "check_password_policy", policy)
    link = invite_link(browser, login_as, enterprise)
    response = accept(browser, link)
    assert response.status_code == 422 and "too common" in response.get_data(as_text=True)
    assert _db.session.scalar(select(Invitation.used_at)) is None


def test_an_email_already_registered(browser, login_as, enterprise, make_user):
    make_user(Role.officer, email="taken@acme.example")
    login_as(Role.officer)
    response = invite(browser, enterprise, email="Taken@Acme.example")
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    browser.post("/logout")
    # Registered after the invitation was sent: the link says so plainly.
    link = invite_link(browser, login_as, enterprise, email="later@acme.example")
    make_user(Role.officer, email="later@acme.example")
    response = browser.get(link)
    assert response.status_code == 409 and "already registered" in response.get_data(as_text=True)
    assert 'type="password"' not in response.get_data(as_text=True)


def test_officer_revokes_a_contact(browser, login_as, enterprise, make_user):
    contact = make_user(Role.enterprise, enterprise=enterprise, email="c@acme.example")
    login_as(Role.chief)
    response = browser.post(f"/enterprises/{enterprise.id}/contacts/{contact.id}/revoke",
                            token_from=f"/enterprises/{enterprise.id}")
    assert response.status_code == 302
    _db.session.refresh(contact)
    assert contact.active is False
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.kind == AuditKind.contact_revoked))
    assert event.subject_user_id == contact.id and event.enterprise_id == enterprise.id
    browser.post("/logout")
    assert browser.login("c@acme.example").status_code != 302  # cannot log in any more


def test_leadership_cannot_invite(browser, login_as, enterprise):
    login_as(Role.leader)
    assert invite(browser, enterprise).status_code == 403
    assert _db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_invitation_is_mailed_when_mail_is_configured(app, browser, login_as, enterprise, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"], message.get_content()))

    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example")
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "butler")
    login_as(Role.officer)
    body = invite(browser, enterprise).get_data(as_text=True)
    token = LINK.search(body).group(1)
    assert sent[0] == ("connect", "mail.example", 25) and ("starttls",) in sent and ("login", "butler") in sent
    assert sent[-1][0] == "send" and sent[-1][1] == "li.na@acme.example" and token in sent[-1][2]
    assert "also sent by email" in body


def test_no_mail_without_a_mail_server(app, browser, login_as, enterprise, monkeypatch):
    import smtplib

    def boom(*a, **k):
        raise AssertionError("SMTP must not be used without MAIL_SERVER")

    monkeypatch.setattr(smtplib, "SMTP", boom)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    login_as(Role.officer)
    assert invite(browser, enterprise).status_code == 200


def _pending_invitation(browser, login_as, enterprise) -> tuple[str, Invitation]:
    link = invite_link(browser, login_as, enterprise)
    return link, _db.session.scalar(select(Invitation))


def test_a_link_used_meanwhile_is_not_used_twice(browser, login_as, enterprise):
    """Two accepts at once: the second read the invitation as pending before the first committed.

    The other request's commit is played by an UPDATE the loaded object does not see; the
    accept must then refuse, not create a second account (or fail on the unique email).
    """
    from sqlalchemy import update

    from app.services import invitations

    _link, invitation = _pending_invitation(browser, login_as, enterprise)
    assert invitations.status(invitation) == invitations.PENDING
    _db.session.execute(update(Invitation).where(Invitation.id == invitation.id).values(used_at=clock.now())
                        .execution_options(synchronize_session=False))
    with pytest.raises(invitations.InvitationError, match="already been used"):
        invitations.accept_invitation(invitation, GOOD)
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.enterprise)) == 0


def test_a_link_revoked_meanwhile_cannot_be_accepted(browser, login_as, enterprise):
    from sqlalchemy import update

    from app.services import invitations

    _link, invitation = _pending_invitation(browser, login_as, enterprise)
    _db.session.execute(update(Invitation).where(Invitation.id == invitation.id).values(revoked_at=clock.now())
                        .execution_options(synchronize_session=False))
    with pytest.raises(invitations.InvitationError, match="withdrawn"):
        invitations.accept_invitation(invitation, GOOD)


def test_an_email_registered_at_the_same_moment_is_a_clear_answer(browser, login_as, enterprise, monkeypatch):
    """Another invitation for the same address accepted at once: the unique email refuses the second account
    at the commit; the contact is told, not shown a 500."""
    from sqlalchemy.exc import IntegrityError

    from app.services import invitations

    link, _invitation = _pending_invitation(browser, login_as, enterprise)

    def raced(invitation, password):
        raise IntegrityError("INSERT INTO users", {}, Exception("UNIQUE constraint failed: users.email"))

    monkeypatch.setattr(invitations, "accept_invitation", raced)
    response = accept(browser, link)
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:500]
    assert "already registered" in body and 'type="password"' not in body


def test_the_invitation_page_keeps_its_token_out_of_referers_and_caches(browser, login_as, enterprise):
    link, _invitation = _pending_invitation(browser, login_as, enterprise)
    for response in (browser.get(link), accept(browser, link, confirm="something-else-99")):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response.headers["Cache-Control"]
