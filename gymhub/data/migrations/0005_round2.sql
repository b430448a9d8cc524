-- Round 2, all at once so every feature works against one schema: idempotent writes,
-- corrections, the user's own account, measurements and poses, comments, private photos and
-- the access log. Later round-2 steps (0006 and up) only add indexes or backfill.

-- The first answer to each (user, Idempotency-Key), kept 24 hours; written in the same
-- transaction as the rows it created, so a retry after a crash finds both or neither.
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_by_age ON idempotency_keys (created_at);

ALTER TABLE messages ADD COLUMN edited_at TEXT;
ALTER TABLE messages ADD COLUMN deleted_at TEXT;

ALTER TABLE users ADD COLUMN units TEXT NOT NULL DEFAULT 'metric'
    CHECK (units IN ('metric', 'imperial'));
ALTER TABLE users ADD COLUMN profile_photo_id TEXT REFERENCES files (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN photo_visibility TEXT NOT NULL DEFAULT 'trainers'
    CHECK (photo_visibility IN ('trainers', 'private'));

-- One live reset code per user, stored only as a hash.
CREATE TABLE reset_codes (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- A JSON object of the measurements in cm ('{}' when none).
ALTER TABLE progress_entries ADD COLUMN measurements TEXT NOT NULL DEFAULT '{}';

ALTER TABLE files ADD COLUMN pose TEXT CHECK (pose IN ('front', 'side', 'back', 'other'));
-- Only progress photos have a visibility; the others stay NULL.
ALTER TABLE files ADD COLUMN visibility TEXT CHECK (visibility IN ('trainers', 'private'));
UPDATE files SET visibility = 'trainers' WHERE category = 'progress_photos';

-- Feedback on a meal, a progress entry or a photo. client_id is the client the target belongs
-- to (for the dashboard, export and erasure); target_id is the meal's or entry's id as text, or
-- the file's id.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target TEXT NOT NULL CHECK (target IN ('meal', 'progress', 'file')),
    target_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_by_target ON comments (target, target_id, id);
CREATE INDEX comments_by_client ON comments (client_id, id);
CREATE INDEX comments_by_author ON comments (author_id, id);

-- Views of a user's files by someone else, one row per viewer, file and UTC day. file_id has no
-- foreign key: the owner's log outlives a deleted file.
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    viewer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL,
    category TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    UNIQUE (viewer_id, file_id, day)
);
CREATE INDEX access_log_by_owner ON access_log (owner_id, id);

-- The client a notification is about (NULL for messages between two people and SYSTEM), so
-- unassignment and erasure can take it out of other people's lists.
ALTER TABLE notifications ADD COLUMN about_id INTEGER;
UPDATE notifications SET about_id = CASE type
    WHEN 'MEAL_COMPLETED' THEN json_extract(data, '$.meal.client_id')
    WHEN 'PROGRESS_UPDATED' THEN json_extract(data, '$.entry.client_id')
    WHEN 'FILE_UPLOADED' THEN json_extract(data, '$.owner_id')
    WHEN 'FILE_DELETED' THEN json_extract(data, '$.owner_id')
END;
CREATE INDEX notifications_about ON notifications (about_id, user_id) WHERE about_id IS NOT NULL;
