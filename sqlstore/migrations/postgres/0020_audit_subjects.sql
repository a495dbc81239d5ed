-- audit_subjects keyed by event, then user, as on SQLite (see
-- sqlite/0020_audit_subjects.sql): an event's users are one range of the
-- key (readAuditSubjects scanned the tenant's subjects for them), and the
-- events of one user go through audit_subjects_user.
ALTER TABLE audit_subjects DROP CONSTRAINT audit_subjects_pkey;
ALTER TABLE audit_subjects ADD PRIMARY KEY (tenant_id, event_id, user_id);
CREATE INDEX audit_subjects_user ON audit_subjects (tenant_id, user_id, event_id);
