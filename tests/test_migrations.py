"""Migrations: one head, and the migrated schema is exactly what the models describe."""
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory


def test_single_head(app):
    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_migrated_schema_matches_models(app, db):
    # The session fixture built the schema with `upgrade()`; compare it with the models.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_enforces_constraints(db, make_enterprise):
    """Constraints live in the database, not only in forms."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.models import TaxRecord

    enterprise = make_enterprise()
    for bad in (
        dict(month="2026-01", total_tax=-1, district_tax=0),
        dict(month="2026-1", total_tax=1, district_tax=0),
        dict(month="2026-01", total_tax=1, district_tax=2),
    ):
        db.session.add(TaxRecord(enterprise_id=enterprise.id, **bad))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    db.session.add(TaxRecord(enterprise_id=enterprise.id, month="2026-01", total_tax=1, district_tax=0))
    db.session.add(TaxRecord(enterprise_id=enterprise.id, month="2026-01", total_tax=2, district_tax=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_tax_key_migration_keeps_every_record(app, db, make_enterprise, make_tax):
    """0010 makes (enterprise_id, month) the key of tax_records in place of the surrogate id; down
    and up again, the records survive, and each schema refuses a second record for a month."""
    import pytest
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    enterprise = make_enterprise()
    make_tax(enterprise, "2026-01", "100.00")
    make_tax(enterprise, "2026-02", "200.50")
    db.session.commit()
    ident = enterprise.id
    db.session.remove()
    insert = text("INSERT INTO tax_records (enterprise_id, month, total_tax, district_tax) VALUES (:e, :m, 1, 0)")
    records = text("SELECT enterprise_id, month, total_tax FROM tax_records ORDER BY month")
    try:
        downgrade(revision="0009")
        with db.engine.begin() as conn:
            conn.execute(insert, {"e": ident, "m": "2026-03"})  # numbered by the id's default
            ids = conn.execute(text("SELECT id FROM tax_records")).scalars().all()
        assert len(set(ids)) == 3 and None not in ids
        assert inspect(db.engine).get_pk_constraint("tax_records")["constrained_columns"] == ["id"]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"e": ident, "m": "2026-01"})

        upgrade()
        key = inspect(db.engine).get_pk_constraint("tax_records")
        assert (key["name"], key["constrained_columns"]) == ("pk_tax_records", ["enterprise_id", "month"])
        assert "id" not in {c["name"] for c in inspect(db.engine).get_columns("tax_records")}
        with db.engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(records)] == [
                (ident, "2026-01", Decimal("100.00")), (ident, "2026-02", Decimal("200.50")),
                (ident, "2026-03", Decimal("1.00"))]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, {"e": ident, "m": "2026-02"})
    finally:
        upgrade()  # whatever failed, the next tests find the schema at head
