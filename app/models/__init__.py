"""All models, imported here so metadata (and Alembic) sees every table."""
from app.models.building import Building, Grid, TaxTier, building_officers
from app.models.enterprise import INDUSTRIES, Enterprise, EnterpriseStatus, HQType, KeyTier
from app.models.tax import TaxRecord
from app.models.user import Role, User

__all__ = [
    "Building", "Grid", "TaxTier", "building_officers",
    "INDUSTRIES", "Enterprise", "EnterpriseStatus", "HQType", "KeyTier",
    "TaxRecord", "Role", "User",
]
