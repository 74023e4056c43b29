"""Recording an enterprise's relocation intent: the form, its rules, the detail page and the list."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app import clock
from app.models import Enterprise, EnterpriseStatus, Role
from app.services.registry import RegistryError, save_enterprise
from tests.conftest import count_queries
from tests.registry.test_enterprises import VALID, form_data

NOTE = "Says the lease ends in June; looking at Qiantan, Pudong."


@pytest.fixture
def frozen():
    """Pin 'now' to 00:30 on 2 March 2026 in Shanghai, which is still 1 March in UTC."""
    clock.freeze(datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc))
    yield
    clock.freeze(None)


def test_officer_records_an_intent_and_the_detail_page_warns(browser, login_as, db, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(uscc=VALID)
    response = browser.post(
        f"/enterprises/{enterprise.id}/edit",
        form_data(relocation_intent_on="2025-11-03", relocation_intent_note=f"  {NOTE}  "),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert enterprise.relocation_intent_on == date(2025, 11, 3)
    assert enterprise.relocation_intent_note == NOTE
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert 'class="flash flash-warning" role="note" id="relocation-intent"' in body
    assert "2025-11-03" in body and NOTE in body


def test_a_new_enterprise_can_be_registered_with_an_intent(browser, login_as, db):
    login_as(Role.officer)
    response = browser.post("/enterprises/new", form_data(relocation_intent_on="2025-12-01", relocation_intent_note=NOTE))
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    assert (enterprise.relocation_intent_on, enterprise.relocation_intent_note) == (date(2025, 12, 1), NOTE)


def test_the_note_is_escaped_on_the_detail_page(browser, login_as, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(
        relocation_intent_on=date(2025, 10, 1), relocation_intent_note='<script>alert("x")</script> to Suzhou'
    )
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; to Suzhou" in body


def test_the_edit_form_shows_the_recorded_intent(browser, login_as, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(relocation_intent_on=date(2025, 10, 1), relocation_intent_note="To Suzhou & Kunshan")
    body = browser.get(f"/enterprises/{enterprise.id}/edit").get_data(as_text=True)
    assert 'value="2025-10-01"' in body and "To Suzhou &amp; Kunshan</textarea>" in body


def test_clearing_both_fields_removes_the_intent(browser, login_as, db, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(uscc=VALID, relocation_intent_on=date(2025, 10, 1), relocation_intent_note=NOTE)
    response = browser.post(
        f"/enterprises/{enterprise.id}/edit", form_data(relocation_intent_on="", relocation_intent_note="  ")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert enterprise.relocation_intent_on is None and enterprise.relocation_intent_note is None
    assert 'id="relocation-intent"' not in browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "on, note, message, kept",
    [
        ("", NOTE, "Give the date the relocation intent was recorded, or clear the note.", NOTE),
        ("2025-11-03", "", "Say what the enterprise said and where it means to go, or clear the date.", 'value="2025-11-03"'),
        ("2025-11-03", "   ", "Say what the enterprise said and where it means to go, or clear the date.", 'value="2025-11-03"'),
    ],
)
def test_a_date_needs_a_note_and_a_note_needs_a_date(browser, login_as, db, make_enterprise, on, note, message, kept):
    login_as(Role.officer)
    enterprise = make_enterprise(uscc=VALID)
    response = browser.post(
        f"/enterprises/{enterprise.id}/edit",
        form_data(name="Typed but not saved", relocation_intent_on=on, relocation_intent_note=note),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body and "nothing has been saved" in body
    # What was typed is kept, in these fields and the others.
    assert kept in body and 'value="Typed but not saved"' in body
    db.session.expire_all()
    assert enterprise.relocation_intent_on is None and enterprise.name != "Typed but not saved"


def test_a_bad_date_gets_one_message_not_two(browser, login_as, db):
    login_as(Role.officer)
    body = browser.post(
        "/enterprises/new", form_data(relocation_intent_on="2025-02-30", relocation_intent_note=NOTE)
    ).get_data(as_text=True)
    assert "Not a valid date value." in body
    assert "Give the date the relocation intent was recorded" not in body
    assert NOTE in body
    assert db.session.scalar(select(Enterprise)) is None


def test_the_date_cannot_be_in_the_future_in_shanghai(browser, login_as, db, make_enterprise, frozen):
    login_as(Role.officer)
    enterprise = make_enterprise(uscc=VALID)
    url = f"/enterprises/{enterprise.id}/edit"
    body = browser.post(url, form_data(relocation_intent_on="2026-03-03", relocation_intent_note=NOTE)).get_data(as_text=True)
    assert "The relocation intent cannot be recorded on a future date." in body
    assert 'value="2026-03-03"' in body and NOTE in body
    # Today in Shanghai is 2 March although it is still 1 March in UTC.
    assert browser.post(url, form_data(relocation_intent_on="2026-03-02", relocation_intent_note=NOTE)).status_code == 302
    db.session.expire_all()
    assert enterprise.relocation_intent_on == date(2026, 3, 2)


def test_the_service_refuses_half_an_intent(db, make_enterprise):
    """The rule holds for any caller of the service, not only the form."""
    enterprise = make_enterprise(uscc=VALID)
    data = {**form_data(), "building_id": None, "officer_id": None, "employees": 420,
            "hq_recognised_on": date(2019, 6, 1), "moved_in_on": date(2015, 3, 1), "registered_in_district": True}
    with pytest.raises(RegistryError) as refused:
        save_enterprise(enterprise, {**data, "relocation_intent_on": date(2025, 1, 1), "relocation_intent_note": " "}, False)
    assert refused.value.field == "relocation_intent_note"
    with pytest.raises(RegistryError) as refused:
        save_enterprise(enterprise, {**data, "relocation_intent_on": None, "relocation_intent_note": NOTE}, False)
    assert refused.value.field == "relocation_intent_on"
    db.session.rollback()


def test_a_moved_out_enterprise_keeps_its_intent_as_history(browser, login_as, db, make_enterprise):
    login_as(Role.officer)
    enterprise = make_enterprise(
        uscc=VALID, status=EnterpriseStatus.moved_out, moved_out_on=date(2025, 12, 31), move_out_reason="Moved to Pudong",
        relocation_intent_on=date(2025, 9, 1), relocation_intent_note=NOTE,
    )
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "Before it moved out, a relocation intent was recorded on 2025-09-01" in body and NOTE in body
    assert 'class="flash flash-warning" role="note" id="relocation-intent"' not in body
    posted = form_data(relocation_intent_on="2025-09-01", relocation_intent_note=NOTE, employees="3")
    del posted["status"]
    assert browser.post(f"/enterprises/{enterprise.id}/edit", posted).status_code == 302
    db.session.expire_all()
    assert enterprise.relocation_intent_note == NOTE and enterprise.status is EnterpriseStatus.moved_out


def test_leader_sees_the_intent_but_cannot_change_it(browser, login_as, db, make_enterprise):
    login_as(Role.leader)
    enterprise = make_enterprise(uscc=VALID, relocation_intent_on=date(2025, 10, 1), relocation_intent_note=NOTE)
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert 'id="relocation-intent"' in body and NOTE in body
    assert f"/enterprises/{enterprise.id}/edit" not in body
    assert browser.get(f"/enterprises/{enterprise.id}/edit").status_code == 403
    response = browser.post(f"/enterprises/{enterprise.id}/edit", form_data(relocation_intent_on="", relocation_intent_note=""))
    assert response.status_code == 403
    db.session.expire_all()
    assert enterprise.relocation_intent_note == NOTE


def test_list_marks_and_filters_enterprises_with_an_intent(browser, login_as, make_enterprise):
    login_as(Role.leader)
    make_enterprise(name="Abacus Moving Ltd", relocation_intent_on=date(2025, 10, 1), relocation_intent_note=NOTE)
    make_enterprise(name="Staying Put Ltd")
    for i in range(30):  # enough for a second page, so the pager links can be checked
        make_enterprise(name=f"Also Leaving {i:02d}", relocation_intent_on=date(2025, 10, 2), relocation_intent_note=NOTE)

    everything = browser.get("/enterprises", query_string={"q": "Ltd"}).get_data(as_text=True)
    assert "Abacus Moving Ltd" in everything and "Staying Put Ltd" in everything
    assert everything.count(">relocation intent</span>") == 1

    filtered = browser.get("/enterprises", query_string={"relocation": "1"}).get_data(as_text=True)
    assert "Staying Put Ltd" not in filtered and "Abacus Moving Ltd" in filtered
    assert "31 results" in filtered
    assert 'name="relocation" value="1" checked' in filtered
    assert "relocation=1" in filtered.split('rel="next"')[0].rsplit("<a ", 1)[1]  # the pager keeps the filter
    # Anything but "1" is no filter at all.
    assert "Staying Put Ltd" in browser.get("/enterprises", query_string={"relocation": "yes", "q": "Staying"}).get_data(as_text=True)


def test_list_marker_costs_no_query_per_row(browser, login_as, make_enterprise):
    login_as(Role.officer)

    def queries() -> int:
        with count_queries() as statements:
            assert browser.get("/enterprises").status_code == 200
        return len(statements)

    make_enterprise(relocation_intent_on=date(2025, 10, 1), relocation_intent_note=NOTE)
    few = queries()
    for _ in range(8):
        make_enterprise(relocation_intent_on=date(2025, 10, 1), relocation_intent_note=NOTE)
    assert queries() == few
