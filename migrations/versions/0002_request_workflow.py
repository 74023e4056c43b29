"""request workflow: reference lists, requests, milestones, events, visits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:47:18.160450

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('handling_modes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=True),
    sa.Column('staged', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handling_modes')),
    sa.UniqueConstraint('code', name=op.f('uq_handling_modes_code'))
    )
    op.create_table('reference_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counters'))
    )
    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('name', name=op.f('uq_topics_name'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('category', sa.Enum('difficulty', 'problem', 'need', name='category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('respond_minutes', sa.Integer(), nullable=False),
    sa.Column('on_site_minutes', sa.Integer(), nullable=False),
    sa.Column('solve_minutes', sa.Integer(), nullable=False),
    sa.Column('staged_respond_days', sa.Integer(), nullable=False),
    sa.Column('staged_reply_days', sa.Integer(), nullable=False),
    sa.Column('staged_solve_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('respond_minutes > 0 AND on_site_minutes >= respond_minutes AND solve_minutes >= on_site_minutes', name=op.f('ck_sla_policies_minutes_ordered')),
    sa.CheckConstraint('staged_respond_days > 0 AND staged_reply_days >= staged_respond_days AND staged_solve_days >= staged_reply_days', name=op.f('ck_sla_policies_days_ordered')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_sla_policies_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('scope_key', name=op.f('uq_sla_policies_scope_key'))
    )
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_policies_topic_id'), ['topic_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visits_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_visits_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visited_on'), ['visited_on'], unique=False)

    op.create_table('service_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('difficulty', 'problem', 'need', name='category', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('handling_mode_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('portal', 'visit', 'phone', 'walk-in', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('priority', sa.Enum('normal', 'high', 'urgent', name='priority', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'accepted', 'on_site', 'plan_given', 'resolved', 'closed', 'reopened', 'returned', name='request_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('level', sa.Enum('officer', 'chief', 'leadership', name='escalation_level', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assigned_officer_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('rating IS NULL OR (rating BETWEEN 1 AND 5)', name=op.f('ck_service_requests_rating_range')),
    sa.ForeignKeyConstraint(['assigned_officer_id'], ['users.id'], name=op.f('fk_service_requests_assigned_officer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_requests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_service_requests_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['handling_mode_id'], ['handling_modes.id'], name=op.f('fk_service_requests_handling_mode_id_handling_modes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_service_requests_topic_id_topics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_service_requests_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_service_requests_reference')),
    sa.UniqueConstraint('year', 'seq', name='uq_service_requests_year_seq')
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_requests_assigned_officer_id'), ['assigned_officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_received_at'), ['received_at'], unique=False)
        batch_op.create_index('ix_service_requests_state_level', ['state', 'level'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_topic_id'), ['topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_officers',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_officers_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_officers_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'user_id', name=op.f('pk_visit_officers'))
    )
    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_officers_user_id'), ['user_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('respond', 'on_site', 'solve', name='milestone_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breach_scan', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_milestones_request_id_service_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    sa.UniqueConstraint('request_id', 'cycle', 'kind', name='uq_milestones_request_cycle_kind')
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index('ix_milestones_open_due', ['due_at'], unique=False, postgresql_where=sa.text('met_at IS NULL AND breached_at IS NULL'), sqlite_where=sa.text('met_at IS NULL AND breached_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_milestones_breach_scan'), ['breach_scan'], unique=False)

    op.create_table('request_departments',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_request_departments_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_request_departments_request_id_service_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'department_id', name=op.f('pk_request_departments'))
    )
    with op.batch_alter_table('request_departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_departments_department_id'), ['department_id'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('created', 'transition', 'note', 'comment', 'dispatch', 'escalation', 'breach', 'rating', name='event_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('from_state', sa.Enum('submitted', 'accepted', 'on_site', 'plan_given', 'resolved', 'closed', 'reopened', 'returned', name='from_state', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('to_state', sa.Enum('submitted', 'accepted', 'on_site', 'plan_given', 'resolved', 'closed', 'reopened', 'returned', name='to_state', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_request_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_request_events_request_id_service_requests'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)


    _insert_defaults()


def _insert_defaults():
    """The reference lists every installation starts with (admins edit them afterwards)."""
    topics = sa.table("topics", sa.column("name"), sa.column("name_zh"), sa.column("active"))
    op.bulk_insert(topics, [
        {"name": name, "name_zh": zh, "active": True}
        for name, zh in [
            ("Permits and licences", "证照办理"),
            ("Talent and household registration", "人才与户籍"),
            ("Property and facilities", "物业与设施"),
            ("Policy and subsidies", "政策与补贴"),
            ("Tax", "税务"),
            ("Traffic and parking", "交通与停车"),
            ("Safety", "安全"),
            ("Other", "其他"),
        ]
    ])
    modes = sa.table("handling_modes", sa.column("code"), sa.column("name"), sa.column("name_zh"),
                     sa.column("staged"), sa.column("active"))
    op.bulk_insert(modes, [
        {"code": "immediate", "name": "Immediate", "name_zh": "马上办", "staged": False, "active": True},
        {"code": "on-site", "name": "On-site", "name_zh": "上门办", "staged": False, "active": True},
        {"code": "joint", "name": "Joint", "name_zh": "联办", "staged": False, "active": True},
        {"code": "tracked", "name": "Tracked", "name_zh": "跟踪办", "staged": True, "active": True},
    ])
    departments = sa.table("departments", sa.column("name"), sa.column("name_zh"), sa.column("active"))
    op.bulk_insert(departments, [
        {"name": name, "name_zh": zh, "active": True}
        for name, zh in [
            ("Market Supervision Bureau", "市场监督管理局"),
            ("Human Resources and Social Security Bureau", "人力资源和社会保障局"),
            ("Housing Management Bureau", "房屋管理局"),
            ("Tax Bureau", "税务局"),
            ("Traffic Police", "交警支队"),
            ("Fire Rescue", "消防救援支队"),
            ("Urban Management", "城管执法局"),
            ("Commerce Commission", "商务委员会"),
        ]
    ])
    policies = sa.table(
        "sla_policies", sa.column("scope_key"), sa.column("category"), sa.column("topic_id"),
        sa.column("respond_minutes"), sa.column("on_site_minutes"), sa.column("solve_minutes"),
        sa.column("staged_respond_days"), sa.column("staged_reply_days"), sa.column("staged_solve_days"),
    )
    op.bulk_insert(policies, [{
        "scope_key": "*:*", "category": None, "topic_id": None,
        "respond_minutes": 5, "on_site_minutes": 15, "solve_minutes": 30,  # 51530
        "staged_respond_days": 1, "staged_reply_days": 7, "staged_solve_days": 30,
    }])


def downgrade():
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_id'))

    op.drop_table('request_events')
    with op.batch_alter_table('request_departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_departments_department_id'))

    op.drop_table('request_departments')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_breach_scan'))
        batch_op.drop_index('ix_milestones_open_due', postgresql_where=sa.text('met_at IS NULL AND breached_at IS NULL'), sqlite_where=sa.text('met_at IS NULL AND breached_at IS NULL'))

    op.drop_table('milestones')
    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_officers_user_id'))

    op.drop_table('visit_officers')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_requests_visit_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_topic_id'))
        batch_op.drop_index('ix_service_requests_state_level')
        batch_op.drop_index(batch_op.f('ix_service_requests_received_at'))
        batch_op.drop_index(batch_op.f('ix_service_requests_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_assigned_officer_id'))

    op.drop_table('service_requests')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_visited_on'))
        batch_op.drop_index(batch_op.f('ix_visits_enterprise_id'))

    op.drop_table('visits')
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_policies_topic_id'))

    op.drop_table('sla_policies')
    op.drop_table('topics')
    op.drop_table('reference_counters')
    op.drop_table('handling_modes')
    op.drop_table('departments')
