-- audit_subjects keyed by event, then user (issue 13 item 5,
-- docs/performance.md, wave 16).
--
-- Keyed by user first, every bulk change of 100,000 users inserted its
-- 100,000 subject rows (about 190 bytes each, with the user's before and
-- after) at random places in a table that only grows: each change
-- rewrote nearly every page of the tenant's whole audit history, and the
-- more history, the slower the next change. Reading one bulk event's
-- users (readAuditSubjects, by event) scanned the tenant's history.
--
-- Keyed by event, a change's rows, all of one event per action and SKU
-- and written in user id order, are appended at the table's end, and an
-- event's users are one range. The events of one user (the audit log
-- filtered on a user) go through audit_subjects_user, whose entries are
-- the key alone, less than half a row.
CREATE TABLE audit_subjects_0020 (
	tenant_id   TEXT NOT NULL,
	event_id    INTEGER NOT NULL,
	user_id     TEXT NOT NULL,
	before_json TEXT NOT NULL,
	after_json  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, event_id, user_id)
) WITHOUT ROWID;
INSERT INTO audit_subjects_0020 (tenant_id, event_id, user_id, before_json, after_json)
SELECT tenant_id, event_id, user_id, before_json, after_json FROM audit_subjects ORDER BY tenant_id, event_id, user_id;
DROP TABLE audit_subjects;
ALTER TABLE audit_subjects_0020 RENAME TO audit_subjects;
CREATE INDEX audit_subjects_user ON audit_subjects (tenant_id, user_id, event_id);
