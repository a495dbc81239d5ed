-- A bulk change records one audit event per action and SKU, and one
-- subject row per user it touched (with that user's before and after), so
-- that 100 000 users cost one narrow index entry each, not three. Events
-- read per user include those found through their subject rows.
CREATE TABLE audit_subjects (
	tenant_id   TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	event_id    INTEGER NOT NULL,
	before_json TEXT NOT NULL,
	after_json  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, user_id, event_id)
) WITHOUT ROWID;
