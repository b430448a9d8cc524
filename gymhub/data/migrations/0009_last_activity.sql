-- The trainer's dashboard orders 300 clients by the latest thing each made; five index seeks per
-- client per request cost more than everything else the dashboard asks. The triggers keep that
-- moment per user instead: raised by every insert, recomputed from what is left by every delete
-- (rare, and exact: a deleted meal is no longer something the client made). created_at and the
-- maker's column never change, so updates need nothing.
--
-- No foreign key: while an erased account's rows cascade away, a recompute must not fail on the
-- user row that is already gone; it skips users that no longer exist, and the users trigger
-- removes the row itself.
CREATE TABLE last_activity (
    user_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL
);

INSERT INTO last_activity (user_id, at)
SELECT who, max(at) FROM (
    SELECT client_id AS who, max(created_at) AS at FROM meals GROUP BY client_id
    UNION ALL SELECT client_id, max(created_at) FROM progress_entries GROUP BY client_id
    UNION ALL SELECT uploaded_by, max(created_at) FROM files GROUP BY uploaded_by
    UNION ALL SELECT sender_id, max(created_at) FROM messages GROUP BY sender_id
    UNION ALL SELECT author_id, max(created_at) FROM comments GROUP BY author_id
)
WHERE who IN (SELECT id FROM users)
GROUP BY who;

CREATE VIEW last_activity_recomputed AS
SELECT u.id AS user_id, nullif(max(
    coalesce((SELECT max(created_at) FROM meals WHERE client_id = u.id), ''),
    coalesce((SELECT max(created_at) FROM progress_entries WHERE client_id = u.id), ''),
    coalesce((SELECT max(created_at) FROM files WHERE uploaded_by = u.id), ''),
    coalesce((SELECT max(created_at) FROM messages WHERE sender_id = u.id), ''),
    coalesce((SELECT max(created_at) FROM comments WHERE author_id = u.id), '')
), '') AS at
FROM users AS u;

CREATE TRIGGER last_activity_meal AFTER INSERT ON meals BEGIN
    INSERT INTO last_activity (user_id, at) VALUES (NEW.client_id, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET at = max(at, excluded.at);
END;
CREATE TRIGGER last_activity_progress AFTER INSERT ON progress_entries BEGIN
    INSERT INTO last_activity (user_id, at) VALUES (NEW.client_id, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET at = max(at, excluded.at);
END;
CREATE TRIGGER last_activity_file AFTER INSERT ON files BEGIN
    INSERT INTO last_activity (user_id, at) VALUES (NEW.uploaded_by, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET at = max(at, excluded.at);
END;
CREATE TRIGGER last_activity_message AFTER INSERT ON messages BEGIN
    INSERT INTO last_activity (user_id, at) VALUES (NEW.sender_id, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET at = max(at, excluded.at);
END;
CREATE TRIGGER last_activity_comment AFTER INSERT ON comments BEGIN
    INSERT INTO last_activity (user_id, at) VALUES (NEW.author_id, NEW.created_at)
    ON CONFLICT (user_id) DO UPDATE SET at = max(at, excluded.at);
END;

CREATE TRIGGER last_activity_meal_gone AFTER DELETE ON meals BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.client_id;
    INSERT INTO last_activity (user_id, at)
    SELECT user_id, at FROM last_activity_recomputed WHERE user_id = OLD.client_id AND at IS NOT NULL;
END;
CREATE TRIGGER last_activity_progress_gone AFTER DELETE ON progress_entries BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.client_id;
    INSERT INTO last_activity (user_id, at)
    SELECT user_id, at FROM last_activity_recomputed WHERE user_id = OLD.client_id AND at IS NOT NULL;
END;
CREATE TRIGGER last_activity_file_gone AFTER DELETE ON files BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.uploaded_by;
    INSERT INTO last_activity (user_id, at)
    SELECT user_id, at FROM last_activity_recomputed WHERE user_id = OLD.uploaded_by AND at IS NOT NULL;
END;
CREATE TRIGGER last_activity_message_gone AFTER DELETE ON messages BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.sender_id;
    INSERT INTO last_activity (user_id, at)
    SELECT user_id, at FROM last_activity_recomputed WHERE user_id = OLD.sender_id AND at IS NOT NULL;
END;
CREATE TRIGGER last_activity_comment_gone AFTER DELETE ON comments BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.author_id;
    INSERT INTO last_activity (user_id, at)
    SELECT user_id, at FROM last_activity_recomputed WHERE user_id = OLD.author_id AND at IS NOT NULL;
END;
CREATE TRIGGER last_activity_user_gone AFTER DELETE ON users BEGIN
    DELETE FROM last_activity WHERE user_id = OLD.id;
END;

-- The latest weight and the one 30 days before it, newest first and read from the index alone:
-- 0008's covering index puts weight_kg before the row id, so "ORDER BY recorded_at, id" sorted.
CREATE INDEX progress_weighed ON progress_entries (client_id, recorded_at, id, weight_kg)
    WHERE weight_kg IS NOT NULL;
-- A client's unread comments to one trainer, without reading the trainer's thousands of other
-- notifications about that client, nor their rows: the author is in the index.
CREATE INDEX notifications_unread_comments
    ON notifications (user_id, about_id, json_extract(data, '$.comment.author_id'))
    WHERE read = 0 AND type = 'COMMENT';
