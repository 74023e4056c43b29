"""index the rating events by time, for the satisfaction rate of a month

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 11:00:00.000000

A partial index: only rating events are in it, so the SLA scan's breach and escalation events
cost nothing more to insert.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index('ix_request_events_rating_at', ['at'], unique=False,
                              postgresql_where=sa.text("kind = 'rating'"), sqlite_where=sa.text("kind = 'rating'"))


def downgrade():
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index('ix_request_events_rating_at', postgresql_where=sa.text("kind = 'rating'"),
                            sqlite_where=sa.text("kind = 'rating'"))
