-- user_data without its foreign key to tenants, and WITHOUT ROWID (issue 13
-- item 5, docs/performance.md "Bulk writes nearer raw"). SQLite must keep a
-- statement journal for every multi-row INSERT into a table with an
-- immediate foreign key (a copy of each page the statement touches, in a
-- temporary file): it was most of a 100 000-user bulk change's data rows.
-- The key was redundant: user_data rows are written only for users read in
-- the same transaction, whose own foreign key names their tenant, and no
-- tenant is ever deleted. Without a rowid, a lookup by (tenant, user) is
-- one B-tree seek instead of two.
CREATE TABLE user_data_0016 (
	tenant_id          TEXT NOT NULL,
	user_id            TEXT NOT NULL,
	upn                TEXT NOT NULL,
	mailbox_state      TEXT NOT NULL,
	mailbox_created_at INTEGER NOT NULL,
	mailbox_since      INTEGER NOT NULL,
	mailbox_purge_at   INTEGER NOT NULL,
	files_state        TEXT NOT NULL,
	files_since        INTEGER NOT NULL,
	files_delete_at    INTEGER NOT NULL,
	due_at             INTEGER,
	mailbox_plan_id    TEXT NOT NULL DEFAULT '',
	files_plan_id      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;
INSERT INTO user_data_0016 (tenant_id, user_id, upn, mailbox_state, mailbox_created_at, mailbox_since, mailbox_purge_at,
	files_state, files_since, files_delete_at, due_at, mailbox_plan_id, files_plan_id)
SELECT tenant_id, user_id, upn, mailbox_state, mailbox_created_at, mailbox_since, mailbox_purge_at,
	files_state, files_since, files_delete_at, due_at, mailbox_plan_id, files_plan_id FROM user_data;
DROP TABLE user_data;
ALTER TABLE user_data_0016 RENAME TO user_data;
CREATE INDEX user_data_due ON user_data (due_at) WHERE due_at IS NOT NULL;
