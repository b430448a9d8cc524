-- Meals with their photos in one request: a photo whose bytes already belong to another meal is
-- stored again for the new meal, so the same bytes may now exist once per meal. Every other
-- category keeps one copy per owner, and a meal keeps one copy of each photo.
DROP INDEX files_dedup;
CREATE UNIQUE INDEX files_dedup ON files (owner_id, category, sha256)
    WHERE category <> 'meal_photos';
CREATE UNIQUE INDEX files_dedup_meal ON files (owner_id, sha256, meal_completion_id)
    WHERE category = 'meal_photos';
-- The duplicate look-up names the category as a parameter, which a partial index cannot serve.
CREATE INDEX files_by_sha256 ON files (owner_id, category, sha256);
