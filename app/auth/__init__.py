"""Login, logout and the Flask-Login user loader."""
from flask_babel import lazy_gettext as _l

from app.extensions import db, login_manager
from app.models import User

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str  # the flash keeps the text in the visitor's language, not the lazy string
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the user on every request: a deactivated account is logged out at once."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None
