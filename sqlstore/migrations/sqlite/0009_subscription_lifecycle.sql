-- Subscriptions over time (issue 9): whether a trial was already extended
-- (once at most), and an index for the lifecycle step, which looks in
-- every tenant for the subscriptions whose next lifecycle date has come.
ALTER TABLE subscriptions ADD COLUMN trial_extended BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX subscriptions_next_lifecycle ON subscriptions (next_lifecycle_at);
-- The tenant's self-service purchase policy per product: allowed, trials
-- or denied; a product without a row is denied.
CREATE TABLE self_service_policies (
	tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
	sku_id    TEXT NOT NULL,
	policy    TEXT NOT NULL,
	PRIMARY KEY (tenant_id, sku_id)
);
