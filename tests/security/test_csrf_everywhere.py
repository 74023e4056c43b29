"""CSRF: every route that accepts POST refuses a form without the token, before anything else runs."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Role, SLAPolicy, Topic
from app.services.reference import LIST_KINDS

CSRF_MESSAGE = "Your form expired or was sent from another site."


def _post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def _row_counts() -> dict[str, int]:
    _db.session.expire_all()
    return {t.name: _db.session.scalar(select(func.count()).select_from(t)) for t in _db.metadata.sorted_tables}


@pytest.fixture
def ids(make_request, make_building, make_user, db):
    """Ids of real rows for every kind of path argument, so a route without CSRF would really act."""
    request = make_request()
    return {
        "request_id": request.id,
        "enterprise_id": request.enterprise_id,
        "building_id": make_building().id,
        "user_id": make_user(Role.officer).id,
        "entry_id": db.session.scalar(select(Topic.id).limit(1)),
        "policy_id": db.session.scalar(select(SLAPolicy.id).limit(1)),
        "kind": next(iter(LIST_KINDS)),
        "action": "accept",
    }


def _url(rule, ids) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)


def test_the_walk_covers_the_known_post_routes(app):
    endpoints = {rule.endpoint for rule in _post_rules(app)}
    assert {"auth.login", "auth.logout", "admin.user_new", "admin.user_role", "admin.user_active"} <= endpoints
    assert len(endpoints) >= 20


@pytest.mark.parametrize("who", ["admin", "officer", "enterprise", "anonymous"])
def test_every_post_without_a_token_is_refused_with_400(app, browser, login_as, make_enterprise, ids, who):
    if who == "enterprise":
        login_as(Role.enterprise, enterprise=make_enterprise())
    elif who != "anonymous":
        login_as(Role(who))
    before = _row_counts()
    for rule in _post_rules(app):
        url = _url(rule, ids)
        browser._fresh()
        response = browser.client.post(url, data={"email": "x@example.com", "password": "x" * 12, "active": "0",
                                                  "role": "leader", "note": "x", "comment": "x", "rating": "1"})
        assert response.status_code == 400, (who, rule.rule, url, response.status_code)
        assert CSRF_MESSAGE in response.get_data(as_text=True), (who, url)
    assert _row_counts() == before
    if who != "anonymous":
        assert browser.get("/login").status_code == 302  # logout without a token did not log out


def test_a_wrong_token_is_refused_too(browser, login_as):
    login_as(Role.officer)
    browser._fresh()
    assert browser.client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert browser.get("/login").status_code == 302  # still logged in


def test_no_view_or_blueprint_is_exempt(app):
    csrf = app.extensions["csrf"]
    assert not csrf._exempt_views and not csrf._exempt_blueprints
    assert app.config["WTF_CSRF_ENABLED"] is True and app.config["WTF_CSRF_CHECK_DEFAULT"] is True


def test_csrf_is_on_in_every_config():
    from config import CONFIGS

    for config in CONFIGS.values():
        assert getattr(config, "WTF_CSRF_ENABLED", True) is True, config
