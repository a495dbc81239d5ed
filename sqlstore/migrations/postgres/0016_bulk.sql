-- Nothing on PostgreSQL: SQLite's 0016 drops user_data's foreign key to
-- tenants, which there costs a statement journal per multi-row INSERT;
-- PostgreSQL has no statement journal, and keeps the key.
SELECT 1;
