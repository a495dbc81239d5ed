-- The data lifecycle (issue 10). user_data holds the state of each user's
-- mailbox and files, as allot.NextUserData computes it; it has no foreign
-- key to users, since a held mailbox and files within their retention
-- outlive the user's purge. due_at is when the lifecycle step next has
-- something to decide (allot.UserData.DueAt), NULL when nothing. Times are
-- microseconds since the Unix epoch, 0 when not set.
CREATE TABLE user_data (
	tenant_id          TEXT NOT NULL REFERENCES tenants (tenant_id),
	user_id            TEXT NOT NULL,
	upn                TEXT NOT NULL,
	mailbox_state      TEXT NOT NULL,
	mailbox_created_at BIGINT NOT NULL,
	mailbox_since      BIGINT NOT NULL,
	mailbox_purge_at   BIGINT NOT NULL,
	files_state        TEXT NOT NULL,
	files_since        BIGINT NOT NULL,
	files_delete_at    BIGINT NOT NULL,
	due_at             BIGINT,
	PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX user_data_due ON user_data (due_at) WHERE due_at IS NOT NULL;

-- holds are litigation holds on users; released_at is NULL while one lasts.
CREATE TABLE holds (
	tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
	hold_id     TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	upn         TEXT NOT NULL,
	name        TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	created_by  TEXT NOT NULL,
	released_at BIGINT,
	PRIMARY KEY (tenant_id, hold_id)
);
CREATE INDEX holds_user ON holds (tenant_id, user_id) WHERE released_at IS NULL;

-- How long a deleted user's files are kept, in days (30 to 3,650).
ALTER TABLE tenants ADD COLUMN file_retention_days BIGINT NOT NULL DEFAULT 30;
