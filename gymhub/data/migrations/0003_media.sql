-- Uploaded files and their image variants; the media tree holds the bytes.
CREATE TABLE files (
    id TEXT PRIMARY KEY CHECK (length(id) = 32),
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    category TEXT NOT NULL,
    mime TEXT NOT NULL,
    ext TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    original_name TEXT NOT NULL DEFAULT '',
    width INTEGER,
    height INTEGER,
    created_at TEXT NOT NULL,
    meal_completion_id INTEGER REFERENCES meals (id) ON DELETE SET NULL,
    progress_entry_id INTEGER REFERENCES progress_entries (id) ON DELETE SET NULL
);
CREATE INDEX files_by_owner ON files (owner_id, category);
CREATE UNIQUE INDEX files_dedup ON files (owner_id, category, sha256);
CREATE INDEX files_by_meal ON files (meal_completion_id) WHERE meal_completion_id IS NOT NULL;
CREATE INDEX files_by_progress ON files (progress_entry_id) WHERE progress_entry_id IS NOT NULL;

CREATE TABLE file_variants (
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    variant TEXT NOT NULL CHECK (variant IN ('large', 'medium', 'thumbnail')),
    ext TEXT NOT NULL,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (file_id, variant)
) WITHOUT ROWID;
