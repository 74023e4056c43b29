"""Enterprise forms, list and detail."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import Enterprise, EnterpriseStatus, HQType, Role

VALID = "914403001922038216"


def form_data(**overrides):
    data = {
        "name": "Adient (China) Investment Co., Ltd.",
        "name_zh": "安道拓（中国）投资有限公司",
        "uscc": VALID,
        "industry": "L",
        "hq_type": "regional-hq",
        "hq_recognised_on": "2019-06-01",
        "building_id": "",
        "unit": "28F",
        "registered_in_district": "y",
        "employees": "420",
        "moved_in_on": "2015-03-01",
        "key_tier": "district-key",
        "officer_id": "",
        "status": "active",
        "contact_name": "Zhang Min",
        "contact_phone": "021-6288 0000",
        "contact_email": "zhang.min@adient.example.com",
    }
    data.update(overrides)
    return data


def count(db):
    return db.session.scalar(select(func.count()).select_from(Enterprise))


def test_officer_creates_an_enterprise(browser, login_as, db, make_building):
    login_as(Role.officer)
    building = make_building(name="Wheelock Square")
    response = browser.post("/enterprises/new", form_data(building_id=str(building.id)))
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    assert enterprise.uscc == VALID and enterprise.building_id == building.id
    assert enterprise.hq_type is HQType.regional_hq and enterprise.hq_recognised_on == date(2019, 6, 1)
    assert not enterprise.uscc_override
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "安道拓（中国）投资有限公司" in page and "Wheelock Square" in page


def test_uscc_is_tidied_before_checking(browser, login_as, db):
    login_as(Role.officer)
    assert browser.post("/enterprises/new", form_data(uscc=" 9111 0000 6000 3734 1l ")).status_code == 302
    assert db.session.scalar(select(Enterprise.uscc)) == "91110000600037341L"


@pytest.mark.parametrize(
    "uscc, message",
    [
        ("91440300192203821", "must be 18 characters, not 17"),
        ("9144030019220382O6", "not allowed in a USCC: O"),
        ("914403001922038217", "fails the GB 32100 check"),
    ],
)
def test_bad_uscc_is_refused_with_a_field_message_and_nothing_saved(browser, login_as, db, uscc, message):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(uscc=uscc))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert count(db) == 0
    # What was typed is kept.
    assert 'value="Adient (China) Investment Co., Ltd."' in body
    assert "安道拓（中国）投资有限公司" in body


def test_checksum_override_accepts_and_flags(browser, login_as, db):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(uscc="914403001922038217", uscc_override="y"))
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    assert enterprise.uscc == "914403001922038217" and enterprise.uscc_override is True
    assert "checksum override" in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_override_does_not_excuse_a_wrong_length(browser, login_as, db):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(uscc="9144030019", uscc_override="y"))
    assert "must be 18 characters" in response.get_data(as_text=True)
    assert count(db) == 0


def test_duplicate_uscc_names_the_enterprise_that_has_it(browser, login_as, db, make_enterprise):
    login_as(Role.officer)
    make_enterprise(name="Coach Shanghai Ltd", uscc=VALID)
    response = browser.post("/enterprises/new", form_data())
    assert "already registered to “Coach Shanghai Ltd”" in response.get_data(as_text=True)
    assert count(db) == 1


def test_required_fields_and_bad_numbers_get_field_messages(browser, login_as, db):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(name="", industry="", employees="-3", contact_email="nope"))
    body = response.get_data(as_text=True)
    assert "This field is required." in body
    assert "Choose an industry." in body
    assert "Must be a whole number, 0 or more." in body
    assert "Invalid email address." in body
    assert count(db) == 0


def test_hq_needs_its_recognition_date(browser, login_as, db):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(hq_recognised_on=""))
    assert "A headquarters needs its recognition date." in response.get_data(as_text=True)


def test_edit_keeps_status_and_saves(browser, login_as, db, make_enterprise):
    login_as(Role.chief)
    enterprise = make_enterprise(uscc=VALID, name="Old name")
    response = browser.post(f"/enterprises/{enterprise.id}/edit", form_data(name="New name", status="at-risk"))
    assert response.status_code == 302
    db.session.expire_all()
    assert enterprise.name == "New name" and enterprise.status is EnterpriseStatus.at_risk


def test_editing_to_its_own_uscc_is_not_a_duplicate(browser, login_as, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(uscc=VALID)
    assert browser.post(f"/enterprises/{enterprise.id}/edit", form_data()).status_code == 302


def test_move_out_keeps_the_enterprise_with_date_and_reason(browser, login_as, db, make_enterprise, make_tax):
    login_as(Role.officer)
    enterprise = make_enterprise(moved_in_on=date(2020, 1, 1))
    make_tax(enterprise, "2024-01", "1000.00")
    response = browser.post(f"/enterprises/{enterprise.id}/move-out", {"moved_out_on": "2025-06-30", "reason": "Relocated to Lujiazui"})
    assert response.status_code == 302
    db.session.expire_all()
    assert enterprise.status is EnterpriseStatus.moved_out
    assert enterprise.moved_out_on == date(2025, 6, 30) and enterprise.move_out_reason == "Relocated to Lujiazui"
    assert "Relocated to Lujiazui" in browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)


def test_move_out_needs_a_reason_and_a_sensible_date(browser, login_as, db, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(moved_in_on=date(2020, 1, 1))
    body = browser.post(f"/enterprises/{enterprise.id}/move-out", {"moved_out_on": "2019-12-31", "reason": ""}).get_data(as_text=True)
    assert "Say why it moved out." in body and "cannot move out before that" in body
    db.session.expire_all()
    assert enterprise.status is EnterpriseStatus.active


def test_enterprises_are_never_deleted(db, make_enterprise):
    enterprise = make_enterprise()
    db.session.delete(enterprise)
    with pytest.raises(ValueError, match="never deleted"):
        db.session.flush()
    db.session.rollback()


def test_list_searches_names_and_uscc_and_filters(browser, login_as, make_enterprise, make_building):
    login_as(Role.leader)
    tower = make_building(name="Park Place")
    make_enterprise(name="L'Oreal China", name_zh="欧莱雅（中国）", building=tower, industry="F")
    make_enterprise(name="Coach Shanghai", uscc=VALID, industry="F")
    make_enterprise(name="Zeta Consulting", industry="L")

    def names(**params):
        body = browser.get("/enterprises", query_string=params).get_data(as_text=True)
        return [n for n in ("L&#39;Oreal China", "Coach Shanghai", "Zeta Consulting") if n in body]

    assert names(q="欧莱雅") == ["L&#39;Oreal China"]
    assert names(q="22038216") == ["Coach Shanghai"]
    assert names(q="oreal") == ["L&#39;Oreal China"]
    assert names(industry="F") == ["L&#39;Oreal China", "Coach Shanghai"]
    assert names(building=tower.id) == ["L&#39;Oreal China"]
    assert names(q="%") == []  # a literal %, not a wildcard


def test_list_sorts_and_pages(browser, login_as, make_enterprise):
    login_as(Role.officer)
    for i in range(30):
        make_enterprise(name=f"Firm {i:02d}", employees=i)
    first = browser.get("/enterprises", query_string={"sort": "-employees"}).get_data(as_text=True)
    assert first.index("Firm 29") < first.index("Firm 28")
    assert "Firm 04" not in first  # 25 per page: 29..5 on page 1
    second = browser.get("/enterprises", query_string={"sort": "-employees", "page": 2}).get_data(as_text=True)
    assert "Firm 04" in second and "Firm 29" not in second
    assert "page 2 of 2" in second


def test_list_does_not_query_per_row(app, browser, login_as, make_enterprise, make_building, make_user):
    """No N+1: the list page's query count does not grow with the number of rows."""
    from sqlalchemy import event

    login_as(Role.officer)
    officer = make_user(Role.officer)

    def queries_for_page():
        statements = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        engine = __import__("app.extensions", fromlist=["db"]).db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert browser.get("/enterprises").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    for _ in range(2):
        make_enterprise(building=make_building(), officer=officer)
    few = queries_for_page()
    for _ in range(10):
        make_enterprise(building=make_building(), officer=make_user(Role.officer))
    assert queries_for_page() == few


def test_detail_shows_last_12_months_of_tax(browser, login_as, make_enterprise, make_tax):
    login_as(Role.officer)
    enterprise = make_enterprise()
    for m in range(1, 13):
        make_tax(enterprise, f"2025-{m:02d}", f"{m}000.00", f"{m}00.00")
    make_tax(enterprise, "2024-12", "99999.00", "1.00")
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "2025-12" in body and "2025-01" in body and "2024-12" not in body
    assert "¥78,000.00" in body  # 1+2+…+12 thousand


def test_untrusted_text_is_escaped(browser, login_as, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(name="<script>alert(1)</script> Ltd")
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_the_page_title_is_the_enterprise_name_only(browser, login_as, make_enterprise):
    """The portal-access section once rendered inside <title>, showing raw markup in the browser tab."""
    login_as(Role.officer)
    enterprise = make_enterprise(name="Acme Trading Ltd")
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert title.split("·")[0].strip() == "Acme Trading Ltd"


def test_a_moved_out_enterprise_can_still_be_edited(browser, login_as, db, make_enterprise):
    """The edit form hides the status of a moved-out enterprise; the missing field used to fail as
    "Not a valid choice" (no field shows it), so nothing about such an enterprise could be corrected."""
    login_as(Role.officer)
    enterprise = make_enterprise(
        uscc=VALID, status=EnterpriseStatus.moved_out, moved_out_on=date(2025, 1, 31), move_out_reason="Relocated"
    )
    assert browser.get(f"/enterprises/{enterprise.id}/edit").status_code == 200
    posted = form_data(employees="12")
    del posted["status"]  # as the browser sends it: the field is not on the page
    response = browser.post(f"/enterprises/{enterprise.id}/edit", posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert enterprise.employees == 12
    assert enterprise.status is EnterpriseStatus.moved_out and enterprise.moved_out_on == date(2025, 1, 31)
    # Posting a status anyway does not bring it back: only move-out changes it.
    assert browser.post(f"/enterprises/{enterprise.id}/edit", form_data(status="active")).status_code == 302
    db.session.expire_all()
    assert enterprise.status is EnterpriseStatus.moved_out
