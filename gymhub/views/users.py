"""Users as the API shows them."""

from __future__ import annotations

from gymhub.data import users
from gymhub.schemas.users import User


def user_view(user: users.User) -> User:
    """A user as the API's User."""
    return User(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        disabled=user.disabled,
        created_at=user.created_at,
        units=user.units,
        profile_photo_id=user.profile_photo_id,
        photo_visibility=user.photo_visibility,
    )
