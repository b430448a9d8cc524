"""Comments as the API shows them."""

from __future__ import annotations

from gymhub.data import comments
from gymhub.schemas.feedback import Comment


def comment_view(row: comments.Comment) -> Comment:
    """A comment row as the API's Comment: target_id an integer for a meal or an entry."""
    target_id: int | str = row.target_id if row.target == "file" else int(row.target_id)
    return Comment(
        id=row.id,
        author_id=row.author_id,
        target=row.target,  # type: ignore[arg-type]  # the schema's CHECK holds it to the three
        target_id=target_id,
        body=row.body,
        created_at=row.created_at,
    )
