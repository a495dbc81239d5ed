-- Users' versions in a narrow table of their own, as on SQLite (see
-- sqlite/0019_user_versions.sql): moving a version on no longer writes a
-- new version of the whole users row, and a bulk change's versions are
-- one narrow table's rows. The users row lock (read FOR UPDATE before a
-- change) still orders the changes of a user, and so its versions.
CREATE TABLE user_versions (
	tenant_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	version   BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, user_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
INSERT INTO user_versions (tenant_id, user_id, version) SELECT tenant_id, user_id, version FROM users;
ALTER TABLE users DROP COLUMN version;
