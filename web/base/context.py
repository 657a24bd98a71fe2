"""What a view needs from the app: the installation and the signed-in user."""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_login import current_user

from auditkit.accounts.users import User
from auditkit.ledger.installation import Installation


def installation() -> Installation:
    """The installation the app was created over."""
    return cast(Installation, current_app.extensions["auditkit.installation"])


def user() -> User:
    """The signed-in user (views behind ``requires`` only)."""
    return cast(User, current_user.user)
