"""The file categories and the columns that link a file to a meal or a progress entry.

One list for the whole server: the media tree's directories, the API's category parameter, the
upload checks and the access rules all name these (the migrations, being history, spell them
out). It sits in data/ because every layer that needs the names may import data/, and data/
imports nothing above itself.
"""

from __future__ import annotations

MEAL_PHOTOS = "meal_photos"
PROGRESS_PHOTOS = "progress_photos"
PROFILE_PHOTOS = "profile_photos"
DOCUMENTS = "documents"
CATEGORIES = (MEAL_PHOTOS, PROGRESS_PHOTOS, PROFILE_PHOTOS, DOCUMENTS)

MEAL_LINK = "meal_completion_id"
PROGRESS_LINK = "progress_entry_id"
# Each link column with the one category a file must have to be linked through it.
LINKS = {MEAL_LINK: MEAL_PHOTOS, PROGRESS_LINK: PROGRESS_PHOTOS}
LINK_COLUMNS = tuple(LINKS)
# The table whose rows a link column points at.
LINK_TABLES = {MEAL_LINK: "meals", PROGRESS_LINK: "progress_entries"}

# What a comment may be about, and the file categories that take comments (a client's photos).
COMMENT_TARGETS = ("meal", "progress", "file")
COMMENTED_CATEGORIES = (MEAL_PHOTOS, PROGRESS_PHOTOS)
# The poses a progress photo may carry (the schema's CHECK on files.pose).
POSES = ("front", "side", "back", "other")
