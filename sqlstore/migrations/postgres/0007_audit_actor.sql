-- The audit log is read by initiator (initiatedBy/user/id, allot audit):
-- one index entry per event keeps that read a range scan, newest first,
-- instead of a walk over the tenant's whole log.
CREATE INDEX audit_actor ON audit_events (tenant_id, actor_id, event_id);
