-- Nothing on PostgreSQL: SQLite's 0018 rebuilds licenses without a rowid
-- and without its foreign key to users, which there cost a third B-tree
-- and a statement journal per multi-row INSERT. PostgreSQL has neither a
-- rowid table to fold into its key nor a statement journal, and keeps the
-- key.
SELECT 1;
