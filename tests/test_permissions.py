"""Access control: every route declares its roles; each role reaches only its pages."""
import pytest

from app.models import Role
from app.permissions import view_access

PUBLIC = {"auth.login", "main.healthz", "static", "portal.invitation", "i18n.switch"}


def test_every_route_declares_who_may_use_it(app):
    for rule in app.url_map.iter_rules():
        is_public, roles = view_access(app.view_functions[rule.endpoint])
        if rule.endpoint in PUBLIC:
            assert is_public or rule.endpoint == "static", rule.endpoint
        else:
            assert not is_public, f"{rule.endpoint} must not be public"
            assert roles, f"{rule.endpoint} declares no roles"


def test_a_view_without_roles_is_refused_to_everybody(app, db, make_user):
    """Deny by default: a route someone forgot to annotate answers 403, even to an admin."""
    from app import create_app
    from tests.conftest import Browser

    config = type("Cfg", (), {k: v for k, v in app.config.items() if k.isupper()})
    other = create_app(config)
    other.add_url_rule("/undeclared-test", "undeclared", lambda: "secret")
    admin = make_user(Role.admin)
    browser = Browser(other.test_client())
    try:
        assert browser.login(admin.email).status_code == 302
        response = browser.get("/undeclared-test")
        assert response.status_code == 403
        assert "secret" not in response.get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def registry(make_building, make_enterprise, make_user):
    building = make_building()
    enterprise = make_enterprise(building=building)
    staff_user = make_user(Role.officer)
    return {"b": building.id, "e": enterprise.id, "u": staff_user.id}


READ = ["/", "/buildings", "/buildings/{b}", "/enterprises", "/enterprises/{e}"]
WRITE = ["/buildings/new", "/buildings/{b}/edit", "/enterprises/new", "/enterprises/{e}/edit", "/enterprises/{e}/move-out"]
ADMIN = ["/admin/users", "/admin/users/new", "/admin/users/{u}"]

EXPECTED = {
    Role.officer: {"read": 200, "write": 200, "admin": 403, "portal": 403},
    Role.chief: {"read": 200, "write": 200, "admin": 403, "portal": 403},
    Role.leader: {"read": 200, "write": 403, "admin": 403, "portal": 403},
    Role.admin: {"read": 200, "write": 200, "admin": 200, "portal": 403},
    Role.enterprise: {"read": 403, "write": 403, "admin": 403, "portal": 200},
}


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(role, browser, login_as, registry, make_enterprise):
    extra = {"enterprise": make_enterprise()} if role is Role.enterprise else {}
    login_as(role, **extra)
    groups = {"read": READ, "write": WRITE, "admin": ADMIN, "portal": ["/portal/"]}
    for group, urls in groups.items():
        for url in urls:
            response = browser.get(url.format(**registry))
            assert response.status_code == EXPECTED[role][group], (role, url, response.status_code)


def test_leader_cannot_post_to_write_routes(browser, login_as, registry):
    login_as(Role.leader)
    response = browser.post(f"/enterprises/{registry['e']}/move-out", {"moved_out_on": "2025-01-01", "reason": "x"})
    assert response.status_code == 403


def test_error_pages_use_the_site_layout(browser, login_as):
    login_as(Role.leader)
    forbidden = browser.get("/buildings/new")
    assert forbidden.status_code == 403
    assert 'class="topbar"' in forbidden.get_data(as_text=True) and "Not allowed" in forbidden.get_data(as_text=True)
    missing = browser.get("/enterprises/999999")
    assert missing.status_code == 404
    assert 'class="topbar"' in missing.get_data(as_text=True) and "Not found" in missing.get_data(as_text=True)
