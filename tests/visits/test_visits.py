"""Logging a visit: the form, the service's rules, and who may do it."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import Enterprise, EnterpriseStatus, Role, Visit
from app.services.visits import VisitError, log_visit


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Visit))


def form_data(enterprise, officers, **overrides):
    data = {
        "enterprise_id": str(enterprise.id),
        "visited_on": (clock.today() - timedelta(days=2)).isoformat(),
        "officer_ids": [str(o.id) for o in officers],
        "summary": "Met Ms Zhang (HR). The company plans to add 40 staff; asked about talent-apartment policy.",
    }
    data.update(overrides)
    return data


def test_officer_logs_a_visit_with_a_colleague(browser, login_as, make_user, make_enterprise, db):
    me = login_as(Role.officer, name="Li Na")
    colleague = make_user(Role.chief, name="Zhang Wei")
    enterprise = make_enterprise(name="COACH Shanghai Ltd")
    response = browser.post("/visits/new", form_data(enterprise, [me, colleague]), token_from="/visits/new")
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert response.headers["Location"].endswith(f"/visits/{visit.id}")
    assert visit.enterprise_id == enterprise.id and visit.created_by_id == me.id
    assert visit.visited_on == clock.today() - timedelta(days=2)
    assert [o.name for o in visit.officers] == ["Li Na", "Zhang Wei"]
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "COACH Shanghai Ltd" in page and "talent-apartment policy" in page and "Zhang Wei" in page
    assert "logged." in page


def test_the_form_preselects_the_enterprise_today_and_the_current_officer(browser, login_as, make_enterprise):
    me = login_as(Role.officer)
    enterprise = make_enterprise()
    page = browser.get(f"/visits/new?enterprise={enterprise.id}").get_data(as_text=True)
    assert f'<option selected value="{enterprise.id}">' in page
    assert f'value="{clock.today().isoformat()}"' in page and f'max="{clock.today().isoformat()}"' in page
    assert f'<option selected value="{me.id}">' in page
    # Cancel goes back to the enterprise it came from.
    assert f'href="/enterprises/{enterprise.id}">Cancel' in page


def test_moved_out_enterprises_and_inactive_or_non_officer_users_are_not_offered(
    browser, login_as, make_user, make_enterprise
):
    login_as(Role.admin)
    make_enterprise(name="Gone Ltd", status=EnterpriseStatus.moved_out, moved_out_on=date(2024, 1, 1),
                    move_out_reason="Relocated to Pudong")
    make_enterprise(name="Here Ltd")
    make_user(Role.officer, name="Retired Officer", active=False)
    make_user(Role.leader, name="Leader Wang")
    page = browser.get("/visits/new").get_data(as_text=True)
    assert "Here Ltd" in page and "Gone Ltd" not in page
    assert "Retired Officer" not in page and "Leader Wang" not in page
    # An admin is not an officer: no one is preselected.
    assert "<option selected" not in page.split('name="officer_ids"')[1].split("</select>")[0]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"visited_on": "TOMORROW"}, "visited_on", "cannot be in the future"),
        ({"visited_on": ""}, "visited_on", "Give the date of the visit."),
        ({"visited_on": "2026-02-30"}, "visited_on", "Not a valid date value."),
        ({"summary": "   "}, "summary", "Write a summary of the visit."),
        ({"summary": "x" * 5001}, "summary", "limited to 5,000 characters"),
        ({"officer_ids": []}, "officer_ids", "Choose at least one officer who made the visit."),
        ({"officer_ids": ["999999"]}, "officer_ids", "Choose officers from the list"),
        ({"officer_ids": ["99999999999999999999"]}, "officer_ids", "Choose officers from the list"),
        ({"enterprise_id": ""}, "enterprise_id", "Choose the enterprise visited."),
        ({"enterprise_id": "99999999999999999999"}, "enterprise_id", "Choose the enterprise visited."),
        ({"enterprise_id": "abc"}, "enterprise_id", "Choose the enterprise visited."),
    ],
)
def test_bad_input_keeps_what_was_typed_and_saves_nothing(
    browser, login_as, make_enterprise, db, overrides, field, message
):
    me = login_as(Role.officer)
    enterprise = make_enterprise(name="Adient Ltd")
    if overrides.get("visited_on") == "TOMORROW":
        overrides["visited_on"] = (clock.today() + timedelta(days=1)).isoformat()
    data = form_data(enterprise, [me], **overrides)
    response = browser.post("/visits/new", data, token_from="/visits/new")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count(db) == 0
    assert "nothing has been saved" in body
    error_list = body.split(f'id="{field}-err"')[1].split("</ul>")[0]
    assert message in error_list and error_list.count("<li>") == 1
    # What was typed is kept.
    if field != "summary":
        assert "talent-apartment policy" in body
    if field != "enterprise_id":
        assert f'<option selected value="{enterprise.id}">' in body
    if field != "visited_on":
        assert f'value="{data["visited_on"]}"' in body


def test_a_moved_out_enterprise_is_refused_with_a_message(browser, login_as, make_enterprise, db):
    me = login_as(Role.officer)
    gone = make_enterprise(name="Gone Ltd", status=EnterpriseStatus.moved_out, moved_out_on=date(2024, 1, 1),
                           move_out_reason="Relocated")
    body = browser.post("/visits/new", form_data(gone, [me]), token_from="/visits/new").get_data(as_text=True)
    assert "Gone Ltd has moved out" in body
    assert count(db) == 0


def test_service_refuses_what_the_form_would(db, make_user, make_enterprise):
    officer = make_user(Role.officer)
    leader = make_user(Role.leader)
    enterprise = make_enterprise()
    yesterday = clock.today() - timedelta(days=1)
    cases = [
        ({"by": leader}, None),
        ({"visited_on": clock.today() + timedelta(days=1)}, "visited_on"),
        ({"officers": []}, "officer_ids"),
        ({"officers": [leader]}, "officer_ids"),
        ({"summary": " \n "}, "summary"),
        ({"summary": "y" * 5001}, "summary"),
    ]
    for overrides, field in cases:
        args = {"enterprise": enterprise, "visited_on": yesterday, "officers": [officer], "summary": "Fine.",
                "by": officer, **overrides}
        with pytest.raises(VisitError) as exc:
            log_visit(**args)
        assert exc.value.field == field
    assert count(db) == 0
    visit = log_visit(enterprise=enterprise, visited_on=yesterday, officers=[officer, officer], summary="  Fine. ",
                      by=officer)
    assert visit.summary == "Fine." and visit.officers == [officer]


def test_the_visit_date_follows_shanghai_today(browser, login_as, make_enterprise, db):
    """At 23:30 UTC on 1 March it is already 2 March in Shanghai: 2 March is today, not the future."""
    from datetime import UTC, datetime

    me = login_as(Role.officer)
    enterprise = make_enterprise()
    clock.freeze(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    try:
        ok = browser.post("/visits/new", form_data(enterprise, [me], visited_on="2026-03-02"), token_from="/visits/new")
        assert ok.status_code == 302
        late = browser.post("/visits/new", form_data(enterprise, [me], visited_on="2026-03-03"),
                            token_from="/visits/new")
        assert "cannot be in the future (today is 2026-03-02)" in late.get_data(as_text=True)
    finally:
        clock.freeze(None)
    assert count(db) == 1


def test_leader_reads_visits_but_cannot_log_one(browser, login_as, make_visit, make_enterprise, db):
    visit = make_visit()
    login_as(Role.leader)
    assert browser.get("/visits/").status_code == 200
    detail = browser.get(f"/visits/{visit.id}")
    assert detail.status_code == 200
    assert "Raise a request from this visit" not in detail.get_data(as_text=True)
    assert "Log a visit" not in browser.get("/visits/").get_data(as_text=True)
    assert browser.get("/visits/new").status_code == 403
    enterprise = make_enterprise()
    response = browser.post("/visits/new", {"enterprise_id": str(enterprise.id), "summary": "x"})
    assert response.status_code == 403
    assert count(db) == 1


@pytest.mark.parametrize("url", ["/visits/", "/visits/new", "/visits/{id}"])
def test_enterprise_contacts_get_403(browser, login_as, make_visit, url):
    visit = make_visit()
    login_as(Role.enterprise, enterprise_id=visit.enterprise_id)
    assert browser.get(url.format(id=visit.id)).status_code == 403


def test_anonymous_users_are_sent_to_login(client, make_visit):
    visit = make_visit()
    for url in ("/visits/", "/visits/new", f"/visits/{visit.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_visit_is_404(browser, login_as):
    login_as(Role.officer)
    assert browser.get("/visits/424242").status_code == 404
    assert browser.get("/visits/99999999999999999999").status_code == 404


def test_admin_logs_a_visit_for_officers(browser, login_as, make_user, make_enterprise, db):
    login_as(Role.admin)
    officer = make_user(Role.officer)
    enterprise = make_enterprise()
    assert browser.post("/visits/new", form_data(enterprise, [officer]), token_from="/visits/new").status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.officers == [officer]
    assert db.session.get(Enterprise, enterprise.id).status is EnterpriseStatus.active
    # Only officers and chiefs take requests, so an admin is not offered the button.
    assert "Raise a request" not in browser.get(f"/visits/{visit.id}").get_data(as_text=True)
