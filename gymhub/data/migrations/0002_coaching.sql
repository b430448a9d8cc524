-- Meals, progress entries, messages and the per-recipient notification log.
CREATE TABLE meals (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    meal_name TEXT NOT NULL,
    eaten_at TEXT NOT NULL,
    notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX meals_by_client ON meals (client_id, id);

CREATE TABLE progress_entries (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recorded_at TEXT NOT NULL,
    weight_kg REAL,
    body_fat_pct REAL,
    notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX progress_by_client ON progress_entries (client_id, id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    sender_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX messages_by_pair ON messages (sender_id, recipient_id, id);
CREATE INDEX messages_by_recipient ON messages (recipient_id, sender_id, id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
