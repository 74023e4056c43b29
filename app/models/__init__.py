"""All models, imported here so metadata (and Alembic) sees every table."""
from app.models.building import Building, Grid, TaxTier, building_officers
from app.models.enterprise import INDUSTRIES, Enterprise, EnterpriseStatus, HQType, KeyTier
from app.models.portal import Attachment, AuditEvent, AuditKind, Invitation
from app.models.reference import Department, HandlingMode, SLAPolicy, Topic
from app.models.request import Milestone, ReferenceCounter, RequestEvent, ServiceRequest, Visit
from app.models.runs import ImportKind, ImportRun, ReportKind, ReportRun, RunStatus
from app.models.summaries import BuildingTaxMonth, ServiceMonth
from app.models.tax import TaxRecord
from app.models.workflow import OPEN_STATES, Category, Channel, EventKind, Level, MilestoneKind, Priority, State
from app.models.user import Role, UnknownLogin, User

__all__ = [
    "Building", "Grid", "TaxTier", "building_officers",
    "INDUSTRIES", "Enterprise", "EnterpriseStatus", "HQType", "KeyTier",
    "TaxRecord", "Role", "UnknownLogin", "User",
    "Department", "HandlingMode", "SLAPolicy", "Topic",
    "Milestone", "ReferenceCounter", "RequestEvent", "ServiceRequest", "Visit",
    "Attachment", "AuditEvent", "AuditKind", "Invitation",
    "ImportKind", "ImportRun", "ReportKind", "ReportRun", "RunStatus",
    "BuildingTaxMonth", "ServiceMonth",
    "OPEN_STATES", "Category", "Channel", "EventKind", "Level", "MilestoneKind", "Priority", "State",
]
