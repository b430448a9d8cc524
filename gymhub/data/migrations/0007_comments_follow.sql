-- A comment goes with what it is about: a meal, a progress entry or a file deleted by any path
-- (a correction, a file delete, the cascade of an erased account) takes its comments along.
CREATE TRIGGER comments_follow_meals AFTER DELETE ON meals BEGIN
    DELETE FROM comments WHERE target = 'meal' AND target_id = CAST(OLD.id AS TEXT);
END;
CREATE TRIGGER comments_follow_progress AFTER DELETE ON progress_entries BEGIN
    DELETE FROM comments WHERE target = 'progress' AND target_id = CAST(OLD.id AS TEXT);
END;
CREATE TRIGGER comments_follow_files AFTER DELETE ON files BEGIN
    DELETE FROM comments WHERE target = 'file' AND target_id = OLD.id;
END;
