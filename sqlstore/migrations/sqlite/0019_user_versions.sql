-- Users' versions in a narrow table of their own (issue 13 item 5,
-- docs/performance.md, wave 16).
--
-- Every change of a user moves its version on (change.go, touch; bulk.go,
-- bumpVersions and bumpProven). In users, a row of about 200 bytes, a bulk
-- change of 100,000 users out of a million rewrote nearly every page of
-- the table, 197 MB through the WAL, to move an integer on. Here a row is
-- the key and the version, and the same change rewrites 86 MB. WITHOUT
-- ROWID: the key is the table, one B-tree, walked in the order of the
-- user ids a bulk change follows.
--
-- No foreign key to users, as for licenses (0018): a version is written
-- only with its user (user.go, importer.go) and removed with it by the
-- purge (purge.go); allot doctor checks that every user has one and every
-- one a user (doctor.go). PostgreSQL keeps the key.
CREATE TABLE user_versions (
	tenant_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	version   INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;
INSERT INTO user_versions (tenant_id, user_id, version)
SELECT tenant_id, user_id, version FROM users ORDER BY tenant_id, user_id;
ALTER TABLE users DROP COLUMN version;
