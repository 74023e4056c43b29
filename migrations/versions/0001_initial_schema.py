"""initial schema: registry, tax records and accounts

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 07:20:14.106395

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grids')),
    sa.UniqueConstraint('name', name=op.f('uq_grids_name'))
    )
    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('gross_floor_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('office_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('floors IS NULL OR floors >= 0', name=op.f('ck_buildings_floors_non_negative')),
    sa.CheckConstraint('gross_floor_area IS NULL OR gross_floor_area >= 0', name=op.f('ck_buildings_gross_area_non_negative')),
    sa.CheckConstraint('office_area IS NULL OR office_area >= 0', name=op.f('ck_buildings_office_area_non_negative')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_buildings_grid_id_grids'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('name', name=op.f('uq_buildings_name'))
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buildings_grid_id'), ['grid_id'], unique=False)

    op.create_table('enterprises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('uscc_override', sa.Boolean(), nullable=False),
    sa.Column('industry', sa.String(length=1), nullable=False),
    sa.Column('hq_type', sa.Enum('none', 'regional-hq', 'hq-institution', name='hq_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('hq_recognised_on', sa.Date(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('registered_in_district', sa.Boolean(), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('moved_in_on', sa.Date(), nullable=True),
    sa.Column('moved_out_on', sa.Date(), nullable=True),
    sa.Column('move_out_reason', sa.Text(), nullable=True),
    sa.Column('key_tier', sa.Enum('district-key', 'subdistrict-key', 'normal', name='key_tier', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('active', 'at-risk', 'moved-out', name='enterprise_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'moved-out') = (moved_out_on IS NOT NULL)", name=op.f('ck_enterprises_moved_out_has_date')),
    sa.CheckConstraint("industry IN ('A','B','C','D','E','F','G','H','I','J','K','L','M','N','O','P','Q','R','S','T')", name=op.f('ck_enterprises_industry_section')),
    sa.CheckConstraint('employees IS NULL OR employees >= 0', name=op.f('ck_enterprises_employees_non_negative')),
    sa.CheckConstraint('length(uscc) = 18', name=op.f('ck_enterprises_uscc_length')),
    sa.CheckConstraint('moved_out_on IS NULL OR move_out_reason IS NOT NULL', name=op.f('ck_enterprises_moved_out_has_reason')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_enterprises_building_id_buildings'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprises')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprises_uscc'))
    )
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprises_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_industry'), ['industry'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_key_tier'), ['key_tier'], unique=False)
        batch_op.create_index('ix_enterprises_name', ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_status'), ['status'], unique=False)

    op.create_table('tax_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('total_tax', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('district_tax', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint("length(month) = 7 AND substr(month, 5, 1) = '-'", name=op.f('ck_tax_records_month_format')),
    sa.CheckConstraint('district_tax <= total_tax', name=op.f('ck_tax_records_district_within_total')),
    sa.CheckConstraint('district_tax >= 0', name=op.f('ck_tax_records_district_tax_non_negative')),
    sa.CheckConstraint('total_tax >= 0', name=op.f('ck_tax_records_total_tax_non_negative')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_tax_records_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_records')),
    sa.UniqueConstraint('enterprise_id', 'month', name='uq_tax_records_enterprise_month')
    )
    with op.batch_alter_table('tax_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_records_month'), ['month'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('officer', 'chief', 'leader', 'admin', 'enterprise', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'enterprise') = (enterprise_id IS NOT NULL)", name=op.f('ck_users_enterprise_role_has_enterprise')),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_users_failed_logins_non_negative')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_users_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_enterprise_id'), ['enterprise_id'], unique=False)

    # enterprises and users refer to each other: the enterprise's officer link comes once both exist.
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_enterprises_officer_id_users'), 'users', ['officer_id'], ['id'], ondelete='SET NULL'
        )

    op.create_table('building_officers',
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_building_officers_building_id_buildings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_building_officers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('building_id', 'user_id', name=op.f('pk_building_officers'))
    )
    with op.batch_alter_table('building_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_officers_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('building_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_officers_user_id'))

    op.drop_table('building_officers')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_enterprises_officer_id_users'), type_='foreignkey')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_enterprise_id'))

    op.drop_table('users')
    with op.batch_alter_table('tax_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_records_month'))

    op.drop_table('tax_records')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprises_status'))
        batch_op.drop_index(batch_op.f('ix_enterprises_officer_id'))
        batch_op.drop_index('ix_enterprises_name')
        batch_op.drop_index(batch_op.f('ix_enterprises_key_tier'))
        batch_op.drop_index(batch_op.f('ix_enterprises_industry'))
        batch_op.drop_index(batch_op.f('ix_enterprises_building_id'))

    op.drop_table('enterprises')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buildings_grid_id'))

    op.drop_table('buildings')
    op.drop_table('grids')
