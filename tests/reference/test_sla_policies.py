"""SLA policy admin: scopes, limit validation, the undeletable default, and the effect on new requests."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import (
    Category,
    Channel,
    HandlingMode,
    MilestoneKind,
    Role,
    SLAPolicy,
    Topic,
)
from app.services import reference as svc
from app.services.requests import create_request, policy_for

BASE = "/admin/reference/sla-policies"
T0 = datetime(2026, 5, 11, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai

LIMITS = {"respond_minutes": "10", "on_site_minutes": "60", "solve_minutes": "240",
          "staged_respond_days": "2", "staged_reply_days": "10", "staged_solve_days": "45"}


@pytest.fixture
def admin(login_as):
    return login_as(Role.admin)


@pytest.fixture
def tax(db):
    return db.session.scalar(select(Topic).where(Topic.name == "Tax"))


def policy_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SLAPolicy))


def default(db) -> SLAPolicy:
    return db.session.scalar(select(SLAPolicy).where(SLAPolicy.scope_key == "*:*"))


def test_index_lists_every_policy_with_scope_and_limits(browser, admin, db, tax):
    for category, topic in ((Category.need, None), (None, tax), (Category.problem, tax)):
        svc.add_policy(category, topic, {k: int(v) for k, v in LIMITS.items()})
    db.session.commit()
    body = browser.get("/admin/reference/").get_data(as_text=True)
    for text in ("Default (all requests)", "Need (需求)", "Problem (问题) · Tax", "Category + topic", ">240<", ">45<"):
        assert text in body
    kinds = [svc.scope_kind(p) for p in svc.policies()]
    assert kinds == ["Default", "Category", "Topic", "Category + topic"]


def test_add_a_category_and_topic_policy(browser, admin, db, tax):
    page = browser.get(f"{BASE}/new").get_data(as_text=True)
    assert 'value="5"' in page and 'value="15"' in page  # starts from the default's limits
    response = browser.post(f"{BASE}/new", {"category": "problem", "topic_id": str(tax.id), **LIMITS})
    assert response.status_code == 302, response.get_data(as_text=True)
    policy = db.session.scalar(select(SLAPolicy).where(SLAPolicy.topic_id == tax.id))
    assert policy.scope_key == f"problem:{tax.id}" and policy.category is Category.problem
    assert (policy.respond_minutes, policy.on_site_minutes, policy.solve_minutes) == (10, 60, 240)
    assert (policy.staged_respond_days, policy.staged_reply_days, policy.staged_solve_days) == (2, 10, 45)


@pytest.mark.parametrize("category, use_topic, key", [("need", False, "need:*"), ("", True, "*:{tax}")])
def test_add_a_category_only_or_topic_only_policy(browser, admin, db, tax, category, use_topic, key):
    data = {"category": category, "topic_id": str(tax.id) if use_topic else "", **LIMITS}
    assert browser.post(f"{BASE}/new", data).status_code == 302
    assert db.session.scalar(select(SLAPolicy).where(SLAPolicy.scope_key == key.format(tax=tax.id))) is not None


def test_duplicate_scope_names_the_existing_policy(browser, admin, db, tax):
    existing = svc.add_policy(Category.problem, tax, {k: int(v) for k, v in LIMITS.items()})
    db.session.commit()
    before = policy_count(db)
    body = browser.post(f"{BASE}/new", {"category": "problem", "topic_id": str(tax.id), **LIMITS}).get_data(as_text=True)
    assert f"There is already a policy for this scope: “Problem (问题) · Tax” (policy #{existing.id})" in body
    assert 'id="topic_id-err"' in body  # on the topic field
    body = browser.post(f"{BASE}/new", {"category": "", "topic_id": "", **LIMITS}).get_data(as_text=True)
    assert "There is already a policy for this scope: “Default (all requests)”" in body
    assert 'id="category-err"' in body
    assert policy_count(db) == before


@pytest.mark.parametrize("changes, field, message", [
    ({"on_site_minutes": "3"}, "on_site_minutes", "Must be at least the respond limit (10 minutes)."),
    ({"solve_minutes": "59"}, "solve_minutes", "Must be at least the on-site limit (60 minutes)."),
    ({"staged_reply_days": "1"}, "staged_reply_days", "Must be at least the first-reply limit (2 days)."),
    ({"staged_solve_days": "9"}, "staged_solve_days", "Must be at least the staged-reply limit (10 days)."),
    ({"respond_minutes": "0"}, "respond_minutes", "Must be a whole number of minutes from 1 to 43,200."),
    ({"staged_respond_days": "-1"}, "staged_respond_days", "Must be a whole number of days from 1 to 365."),
    ({"solve_minutes": "99999999"}, "solve_minutes", "Must be a whole number of minutes from 1 to 43,200."),
    ({"on_site_minutes": "1.5"}, "on_site_minutes", "Give a whole number, like 15."),
    ({"solve_minutes": "soon"}, "solve_minutes", "Give a whole number, like 15."),
    ({"staged_solve_days": ""}, "staged_solve_days", "Give a whole number of days."),
])
def test_limits_are_validated_per_field(browser, admin, db, tax, changes, field, message):
    before = policy_count(db)
    data = {"category": "need", "topic_id": "", **LIMITS, **changes}
    body = browser.post(f"{BASE}/new", data).get_data(as_text=True)
    assert message in body
    assert f'id="{field}-err"' in body
    assert body.count('class="errors"') == 1
    assert policy_count(db) == before

    # The same rules when editing the default.
    policy = default(db)
    body = browser.post(f"{BASE}/{policy.id}/edit", {**LIMITS, **changes}).get_data(as_text=True)
    assert message in body and f'id="{field}-err"' in body
    db.session.refresh(policy)
    assert (policy.respond_minutes, policy.on_site_minutes, policy.solve_minutes) == (5, 15, 30)


def test_equal_limits_are_allowed(browser, admin, db):
    policy = default(db)
    same = {k: "7" for k in LIMITS}
    assert browser.post(f"{BASE}/{policy.id}/edit", same).status_code == 302
    db.session.refresh(policy)
    assert policy.respond_minutes == policy.solve_minutes == policy.staged_solve_days == 7


def test_service_refuses_disordered_limits_without_the_form(db):
    policy = default(db)
    bad = {k: int(v) for k, v in LIMITS.items()} | {"solve_minutes": 1}
    with pytest.raises(svc.ReferenceListError) as exc:
        svc.update_policy(policy, bad)
    assert exc.value.field == "on_site_minutes" or exc.value.field == "solve_minutes"
    assert policy.solve_minutes == 30


def test_the_default_policy_can_be_edited_but_not_deleted(browser, admin, db):
    policy = default(db)
    page = browser.get(f"{BASE}/{policy.id}/edit").get_data(as_text=True)
    assert "cannot be deleted" in page and "/delete" not in page

    assert browser.post(f"{BASE}/{policy.id}/edit", LIMITS).status_code == 302
    db.session.refresh(policy)
    assert policy.respond_minutes == 10

    response = browser.post(f"{BASE}/{policy.id}/delete", token_from="/admin/reference/", follow_redirects=True)
    assert "The default policy cannot be deleted" in response.get_data(as_text=True)
    assert default(db) is not None
    with pytest.raises(svc.ReferenceListError):
        svc.delete_policy(policy)


def test_a_narrower_policy_can_be_deleted(browser, admin, db, tax):
    policy = svc.add_policy(None, tax, {k: int(v) for k, v in LIMITS.items()})
    db.session.commit()
    page = browser.get(f"{BASE}/{policy.id}/edit").get_data(as_text=True)
    assert "Delete the policy for “Tax”" in page
    response = browser.post(f"{BASE}/{policy.id}/delete", token_from=f"{BASE}/{policy.id}/edit")
    assert response.status_code == 302
    assert db.session.get(SLAPolicy, policy.id) is None
    assert tax.id and db.session.get(Topic, tax.id) is not None


def _due(request) -> dict[MilestoneKind, datetime]:
    return {m.kind: m.due_at for m in request.current_milestones()}


def _limits(start: datetime, *minutes: int) -> dict[MilestoneKind, datetime]:
    return {kind: start + timedelta(minutes=m) for kind, m in zip(MilestoneKind, minutes, strict=True)}


@pytest.fixture
def file_request(db, admin, tax, make_enterprise):
    """File a Tax request through the workflow service at the frozen time."""
    enterprise = make_enterprise()
    on_site = db.session.scalar(select(HandlingMode).where(HandlingMode.code == "on-site"))

    def file(category: Category):
        request = create_request(enterprise=enterprise, category=category, topic=tax, handling_mode=on_site,
                                 channel=Channel.phone, title="VAT invoice quota", description="Needs a higher quota.",
                                 by=admin)
        db.session.commit()
        return request

    return file


def test_new_policies_are_what_the_workflow_picks(db, tax):
    """The scope keys the admin service writes are the ones `policy_for` looks up, most specific first."""
    limits = {k: int(v) for k, v in LIMITS.items()}
    by_category = svc.add_policy(Category.problem, None, limits)
    assert policy_for(Category.problem, tax.id) == by_category
    by_topic = svc.add_policy(None, tax, limits)
    assert policy_for(Category.problem, tax.id) == by_topic
    both = svc.add_policy(Category.problem, tax, limits)
    assert policy_for(Category.problem, tax.id) == both
    assert policy_for(Category.need, tax.id) == by_topic
    svc.delete_policy(both)
    assert policy_for(Category.problem, tax.id) == by_topic


def test_a_new_category_policy_changes_due_times_of_requests_created_afterwards(browser, db, file_request):
    try:
        clock.freeze(T0)
        before = file_request(Category.problem)
        assert browser.post(f"{BASE}/new", {"category": "problem", "topic_id": "", **LIMITS}).status_code == 302
        clock.freeze(T0 + timedelta(hours=1))
        after = file_request(Category.problem)
        other = file_request(Category.need)
    finally:
        clock.freeze(None)
    start = T0 + timedelta(hours=1)
    assert _due(after) == _limits(start, 10, 60, 240)
    assert _due(other) == _limits(start, 5, 15, 30)  # another category: still the default
    db.session.refresh(before)
    assert _due(before) == _limits(T0, 5, 15, 30)  # created earlier: keeps its due times


def test_a_new_category_and_topic_policy_changes_due_times_of_requests_created_afterwards(browser, db, tax, file_request):
    try:
        clock.freeze(T0)
        before = file_request(Category.problem)
        assert _due(before) == _limits(T0, 5, 15, 30)
        response = browser.post(f"{BASE}/new", {"category": "problem", "topic_id": str(tax.id), **LIMITS})
        assert response.status_code == 302
        clock.freeze(T0 + timedelta(hours=1))
        after = file_request(Category.problem)
        other = file_request(Category.need)
    finally:
        clock.freeze(None)
    start = T0 + timedelta(hours=1)
    assert _due(other) == _limits(start, 5, 15, 30)  # same topic, another category: still the default
    db.session.refresh(before)
    assert _due(before) == _limits(T0, 5, 15, 30)  # created earlier: keeps its due times
    assert _due(after) == _limits(start, 10, 60, 240)
