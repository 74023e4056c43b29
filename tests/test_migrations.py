"""Migrations: one head, and the migrated schema is exactly what the models describe."""
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
