"""Admin screens for topics, handling modes and departments: add, rename, deactivate, never delete."""
import pytest
from sqlalchemy import func, select

from app.models import Department, HandlingMode, Role, Topic
from app.services import reference as svc

BASE = "/admin/reference"
KINDS = [("topics", Topic), ("handling-modes", HandlingMode), ("departments", Department)]


def entry(db, model, name):
    return db.session.scalar(select(model).where(model.name == name))


def form_for(kind: str, **data) -> dict:
    if kind == "handling-modes":
        data.setdefault("code", "remote")
    return data


@pytest.fixture
def admin(login_as):
    return login_as(Role.admin)


def test_index_shows_the_four_lists(browser, admin):
    body = browser.get(f"{BASE}/").get_data(as_text=True)
    for heading in ("Topics", "Handling modes", "Departments", "SLA policies"):
        assert heading in body
    for name in ("Permits and licences", "马上办", "Tracked", "Market Supervision Bureau", "Default (all requests)"):
        assert name in body
    assert "Changes apply to requests created afterwards" in body


@pytest.mark.parametrize("kind, model", KINDS)
def test_add_rename_deactivate_reactivate(browser, admin, db, kind, model):
    response = browser.post(f"{BASE}/{kind}/new", form_for(kind, name="Foreign affairs", name_zh="外事"))
    assert response.status_code == 302, response.get_data(as_text=True)
    added = entry(db, model, "Foreign affairs")
    assert added.active and added.name_zh == "外事"
    assert added in svc.active_entries(model)

    response = browser.post(f"{BASE}/{kind}/{added.id}/edit", {"name": "  International affairs ", "name_zh": "国际事务"})
    assert response.status_code == 302
    db.session.refresh(added)
    assert (added.name, added.name_zh) == ("International affairs", "国际事务")

    page = browser.get(f"{BASE}/{kind}/{added.id}/edit").get_data(as_text=True)
    assert "Used by 0 requests" in page and 'name="active" value="0"' in page

    assert browser.post(f"{BASE}/{kind}/{added.id}/active", {"active": "0"}, token_from=f"{BASE}/").status_code == 302
    db.session.refresh(added)
    assert not added.active and added not in svc.active_entries(model)
    body = browser.get(f"{BASE}/").get_data(as_text=True)
    assert "Deactivated the" in body and f'aria-label="Reactivate {added.name}"' in body

    # A second click on the same (stale) button changes nothing: the button says which state it wants.
    browser.post(f"{BASE}/{kind}/{added.id}/active", {"active": "0"}, token_from=f"{BASE}/")
    db.session.refresh(added)
    assert not added.active
    assert "is already inactive" in browser.get(f"{BASE}/").get_data(as_text=True)

    assert browser.post(f"{BASE}/{kind}/{added.id}/active", {"active": "1"}, token_from=f"{BASE}/").status_code == 302
    db.session.refresh(added)
    assert added.active
    assert db.session.get(model, added.id) is not None  # never deleted


@pytest.mark.parametrize("kind, model", KINDS)
def test_duplicate_names_get_a_field_error_and_save_nothing(browser, admin, db, kind, model):
    existing = db.session.scalars(select(model).order_by(model.id)).first()
    before = db.session.scalar(select(func.count()).select_from(model))
    body = browser.post(f"{BASE}/{kind}/new", form_for(kind, name=existing.name.upper(), name_zh="重复")).get_data(as_text=True)
    assert f"There is already a {svc.LIST_KINDS[kind].noun} called “{existing.name}”." in body
    assert 'value="重复"' in body  # the input is kept
    assert db.session.scalar(select(func.count()).select_from(model)) == before

    other = db.session.scalars(select(model).where(model.id != existing.id).order_by(model.id)).first()
    body = browser.post(f"{BASE}/{kind}/{other.id}/edit", {"name": existing.name}).get_data(as_text=True)
    assert "There is already a" in body
    db.session.refresh(other)
    assert other.name != existing.name


def test_renaming_to_its_own_name_is_fine(browser, admin, db):
    topic = entry(db, Topic, "Tax")
    assert browser.post(f"{BASE}/topics/{topic.id}/edit", {"name": "Tax", "name_zh": "税收"}).status_code == 302
    db.session.refresh(topic)
    assert topic.name_zh == "税收"


def test_duplicate_name_of_an_inactive_entry_says_to_reactivate_it(browser, admin, db):
    topic = entry(db, Topic, "Safety")
    svc.set_entry_active(topic, False)
    db.session.commit()
    body = browser.post(f"{BASE}/topics/new", {"name": "safety"}).get_data(as_text=True)
    assert "(inactive: reactivate it instead)" in body


def test_empty_and_overlong_names_get_field_errors(browser, admin, db):
    body = browser.post(f"{BASE}/departments/new", {"name": "  ", "name_zh": "部门"}).get_data(as_text=True)
    assert "Give a name." in body
    body = browser.post(f"{BASE}/topics/new", {"name": "x" * 81}).get_data(as_text=True)
    assert "Field cannot be longer than 80 characters." in body
    assert entry(db, Department, "") is None


def test_handling_mode_code_is_checked_and_fixed_once_added(browser, admin, db):
    body = browser.post(f"{BASE}/handling-modes/new", {"code": "Joint", "name": "Joint again"}).get_data(as_text=True)
    assert "The code “joint” is already used by another handling mode." in body
    body = browser.post(f"{BASE}/handling-modes/new", {"code": "a b", "name": "Remote"}).get_data(as_text=True)
    assert "Use lower-case letters, digits and single hyphens" in body

    assert browser.post(f"{BASE}/handling-modes/new", {"code": "remote", "name": "Remote", "staged": "y"}).status_code == 302
    mode = entry(db, HandlingMode, "Remote")
    assert mode.code == "remote" and mode.staged

    # Editing renames and flips `staged`; a posted code is ignored.
    response = browser.post(f"{BASE}/handling-modes/{mode.id}/edit", {"code": "other", "name": "Remote call", "name_zh": "远程办"})
    assert response.status_code == 302
    db.session.refresh(mode)
    assert (mode.code, mode.name, mode.name_zh, mode.staged) == ("remote", "Remote call", "远程办", False)
    page = browser.get(f"{BASE}/handling-modes/{mode.id}/edit").get_data(as_text=True)
    assert 'name="code"' not in page and "remote" in page


def test_the_last_active_topic_cannot_be_deactivated(browser, admin, db):
    topics = db.session.scalars(select(Topic).order_by(Topic.id)).all()
    for t in topics[1:]:
        svc.set_entry_active(t, False)
    db.session.commit()
    browser.post(f"{BASE}/topics/{topics[0].id}/active", {"active": "0"}, token_from=f"{BASE}/")
    db.session.refresh(topics[0])
    assert topics[0].active
    assert "is the last active topic" in browser.get(f"{BASE}/").get_data(as_text=True)


def test_departments_may_all_be_inactive(db):
    for d in db.session.scalars(select(Department)):
        svc.set_entry_active(d, False)
    db.session.commit()
    assert svc.active_entries(Department) == []


def test_service_refuses_duplicates_without_the_form(db):
    with pytest.raises(svc.ReferenceListError) as exc:
        svc.save_entry(Topic, None, name="tax", name_zh=None)
    assert exc.value.field == "name"
    with pytest.raises(svc.ReferenceListError) as exc:
        svc.save_entry(HandlingMode, None, name="Brand new", name_zh=None, code="tracked")
    assert exc.value.field == "code"


def test_usage_counts_show_why_entries_are_kept(browser, admin, db, make_request):
    request = make_request(topic="Tax", mode="joint")
    counts = svc.usage_counts(svc.LIST_KINDS["topics"])
    assert counts == {request.topic_id: 1}
    assert svc.usage_counts(svc.LIST_KINDS["handling-modes"]) == {request.handling_mode_id: 1}


def test_unknown_list_is_404_and_a_forged_state_400(browser, admin, db):
    assert browser.get(f"{BASE}/colours/new").status_code == 404
    assert browser.get(f"{BASE}/topics/9999/edit").status_code == 404
    topic = entry(db, Topic, "Tax")
    assert browser.post(f"{BASE}/topics/{topic.id}/active", {"active": "maybe"}).status_code == 400


@pytest.mark.parametrize("role", [Role.officer, Role.chief, Role.leader])
def test_non_admins_get_403(browser, login_as, db, role):
    login_as(role)
    topic = entry(db, Topic, "Tax")
    for url in (f"{BASE}/", f"{BASE}/topics/new", f"{BASE}/topics/{topic.id}/edit", f"{BASE}/sla-policies/new"):
        assert browser.get(url).status_code == 403, url
    for url in (f"{BASE}/topics/new", f"{BASE}/topics/{topic.id}/active", f"{BASE}/sla-policies/1/delete"):
        assert browser.post(url, {"name": "Hacked"}).status_code == 403, url
    db.session.refresh(topic)
    assert topic.active and entry(db, Topic, "Hacked") is None


def test_enterprise_contact_gets_403(browser, login_as, make_enterprise):
    login_as(Role.enterprise, enterprise=make_enterprise())
    assert browser.get(f"{BASE}/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
