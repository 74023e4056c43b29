"""Registry: buildings and enterprises."""
from flask import Blueprint

bp = Blueprint("registry", __name__)
