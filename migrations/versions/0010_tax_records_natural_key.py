"""tax_records: the key is (enterprise_id, month); the surrogate id goes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 16:00:00.000000

A tax record is the tax of one enterprise in one month: that pair already had to be unique, and
nothing refers to a record by its id. Keeping the id cost every write one more index and one
sequence call per row. Measured on the import benchmark (bench/imports.py, 720,000 rows): a first
import builds two indexes instead of three. ix_tax_records_month stays: the reports read by month.

PostgreSQL drops the column without rewriting the table; the constraint change builds one index.
SQLite copies the table (batch mode).

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tax_records', schema=None) as batch_op:
        batch_op.drop_constraint('pk_tax_records', type_='primary')
        batch_op.drop_constraint('uq_tax_records_enterprise_month', type_='unique')
        batch_op.drop_column('id')
        batch_op.create_primary_key('pk_tax_records', ['enterprise_id', 'month'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # SERIAL numbers the rows already there, as the column was before.
        op.execute('ALTER TABLE tax_records ADD COLUMN id SERIAL NOT NULL')
    with op.batch_alter_table('tax_records', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'postgresql':
            batch_op.add_column(sa.Column('id', sa.Integer(), nullable=False))
        batch_op.drop_constraint('pk_tax_records', type_='primary')
        batch_op.create_primary_key('pk_tax_records', ['id'])
        batch_op.create_unique_constraint('uq_tax_records_enterprise_month', ['enterprise_id', 'month'])
