"""dashboard summaries: tax per building and month, service figures of ended months

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:45:00.000000

building_tax_months is filled from the tax records already there (app.services.summaries keeps it
up to date from then on); service_months fills itself as the dashboard shows each ended month.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('building_tax_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('total_tax', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('district_tax', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_building_tax_months_building_id_buildings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_tax_months'))
    )
    with op.batch_alter_table('building_tax_months', schema=None) as batch_op:
        batch_op.create_index('ix_building_tax_months_month_building', ['month', 'building_id'], unique=True)

    op.create_table('service_months',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('respond_on_time', sa.Integer(), nullable=False),
    sa.Column('respond_missed', sa.Integer(), nullable=False),
    sa.Column('respond_pending', sa.Integer(), nullable=False),
    sa.Column('on_site_on_time', sa.Integer(), nullable=False),
    sa.Column('on_site_missed', sa.Integer(), nullable=False),
    sa.Column('on_site_pending', sa.Integer(), nullable=False),
    sa.Column('solve_on_time', sa.Integer(), nullable=False),
    sa.Column('solve_missed', sa.Integer(), nullable=False),
    sa.Column('solve_pending', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_service_months'))
    )

    # The tax already recorded, summed per building (as located now) and month.
    op.execute(
        "INSERT INTO building_tax_months (month, building_id, total_tax, district_tax, records) "
        "SELECT t.month, e.building_id, sum(t.total_tax), sum(t.district_tax), count(*) "
        "FROM tax_records AS t JOIN enterprises AS e ON e.id = t.enterprise_id "
        "GROUP BY t.month, e.building_id"
    )


def downgrade():
    op.drop_table('service_months')
    with op.batch_alter_table('building_tax_months', schema=None) as batch_op:
        batch_op.drop_index('ix_building_tax_months_month_building')

    op.drop_table('building_tax_months')
