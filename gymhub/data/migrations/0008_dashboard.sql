-- The trainer's dashboard answers every figure of a client from an index on (client, time):
-- its latest creation in each table, and the last week's meals and entries by when they
-- happened. Without these, each of 300 clients' year of rows is scanned for every request.
CREATE INDEX meals_by_client_eaten ON meals (client_id, eaten_at);
CREATE INDEX meals_by_client_created ON meals (client_id, created_at);
CREATE INDEX progress_by_client_recorded ON progress_entries (client_id, recorded_at, weight_kg);
CREATE INDEX progress_by_client_created ON progress_entries (client_id, created_at);
CREATE INDEX files_by_uploader_created ON files (uploaded_by, created_at);
CREATE INDEX messages_by_sender_created ON messages (sender_id, created_at);
CREATE INDEX comments_by_author_created ON comments (author_id, created_at);
-- A client's unread messages to one trainer, counted without reading the messages.
CREATE INDEX messages_unread ON messages (recipient_id, sender_id)
    WHERE read_at IS NULL AND deleted_at IS NULL;
