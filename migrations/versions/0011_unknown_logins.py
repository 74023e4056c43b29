"""unknown_logins: failed logins for emails without an account, counted as an account's are

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 17:30:00.000000

After five failures an account answered "locked" while an email without an account kept answering
"wrong email or password": five tries told whether an email had an account. Such emails now
count their failures in this table, under a keyed hash of the email, the way
users.failed_logins / users.locked_until count an account's: the same answers, one statement an
attempt holding the row (attempts on one email take turns, as on an account), in the same
transaction.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unknown_logins',
    sa.Column('email_digest', sa.String(length=32), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_unknown_logins_failed_logins_non_negative')),
    sa.PrimaryKeyConstraint('email_digest', name=op.f('pk_unknown_logins'))
    )


def downgrade():
    op.drop_table('unknown_logins')
