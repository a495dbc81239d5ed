-- licenses WITHOUT ROWID and without its foreign key to users (issue 13
-- item 5, docs/performance.md "Bulk writes nearer raw", wave 13).
--
-- With a rowid, each license lived in three B-trees (the table, its
-- primary key, licenses_sku), and a bulk change's delete or insert walked
-- all three: the table's pages at random, since rowids follow assignment
-- order and the change follows user ids. Without one, the primary key is
-- the table: two B-trees, both walked in order.
--
-- The foreign key made SQLite look each inserted license's user up again
-- and keep a statement journal (a copy of every page touched, in a
-- temporary file) for every multi-row INSERT. It was redundant: a license
-- is written only for a user read in the same transaction (a bulk change
-- proves each user by moving its version on), a user's licenses go to
-- deleted_licenses when it is deleted, and the purge deletes any left
-- with the user (purge.go); allot doctor checks that no license names a
-- missing user (doctor.go). PostgreSQL keeps the key.
CREATE TABLE licenses_0018 (
	tenant_id      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	sku_id         TEXT NOT NULL,
	pool           TEXT NOT NULL,
	disabled_plans TEXT NOT NULL,
	assigned_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id, sku_id)
) WITHOUT ROWID;
INSERT INTO licenses_0018 (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at)
SELECT tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at FROM licenses ORDER BY tenant_id, user_id, sku_id;
DROP TABLE licenses;
ALTER TABLE licenses_0018 RENAME TO licenses;
CREATE INDEX licenses_sku ON licenses (tenant_id, sku_id, user_id);
