-- Facts about the data directory itself: its identity (also written into uploads/.gymhub-id,
-- so a database and a media tree that do not belong together are told apart) and the time of
-- the last clean shutdown. A round-1 database gets its identity here, on upgrade.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('data_dir_id', lower(hex(randomblob(16))));
