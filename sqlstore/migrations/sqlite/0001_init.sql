-- allot schema, version 1. Every key leads with tenant_id so that the schema
-- can be distributed by tenant. Times are microseconds since the Unix epoch.
CREATE TABLE tenants (
	tenant_id  TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	domain     TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tenants_domain ON tenants (domain);

CREATE TABLE subscriptions (
	tenant_id         TEXT NOT NULL REFERENCES tenants (tenant_id),
	subscription_id   TEXT NOT NULL,
	sku_id            TEXT NOT NULL,
	status            TEXT NOT NULL,
	quantity          INTEGER NOT NULL CHECK (quantity >= 0),
	is_trial          BOOLEAN NOT NULL,
	recurring         BOOLEAN NOT NULL,
	owner_type        TEXT NOT NULL,
	purchased_by      TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	next_lifecycle_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, subscription_id)
);
CREATE INDEX subscriptions_sku ON subscriptions (tenant_id, sku_id);

-- seat_pools holds the seat counter of every pool: the admin-managed pool of
-- a SKU (pool = '') or one self-service subscription (pool = its id).
-- capacity is the units of its Enabled subscriptions; consumed the licenses
-- drawn from it. Assignments take seats with a conditional UPDATE.
CREATE TABLE seat_pools (
	tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
	sku_id       TEXT NOT NULL,
	pool         TEXT NOT NULL,
	purchased_by TEXT NOT NULL,
	capacity     INTEGER NOT NULL,
	consumed     INTEGER NOT NULL CHECK (consumed >= 0),
	PRIMARY KEY (tenant_id, sku_id, pool)
);

CREATE TABLE users (
	tenant_id       TEXT NOT NULL REFERENCES tenants (tenant_id),
	user_id         TEXT NOT NULL,
	upn             TEXT NOT NULL,
	upn_lower       TEXT NOT NULL,
	display_name    TEXT NOT NULL,
	display_lower   TEXT NOT NULL,
	given_name      TEXT NOT NULL,
	surname         TEXT NOT NULL,
	job_title       TEXT NOT NULL,
	usage_location  TEXT NOT NULL,
	account_enabled BOOLEAN NOT NULL,
	created_at      INTEGER NOT NULL,
	deleted_at      INTEGER,
	PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX users_upn ON users (tenant_id, upn_lower) WHERE deleted_at IS NULL;
CREATE INDEX users_name ON users (tenant_id, display_lower);
CREATE INDEX users_deleted ON users (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE licenses (
	tenant_id      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	sku_id         TEXT NOT NULL,
	pool           TEXT NOT NULL,
	disabled_plans TEXT NOT NULL,
	assigned_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id, sku_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX licenses_sku ON licenses (tenant_id, sku_id, user_id);

-- deleted_licenses keeps the licenses of soft-deleted users for a restore.
CREATE TABLE deleted_licenses (
	tenant_id      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	sku_id         TEXT NOT NULL,
	pool           TEXT NOT NULL,
	disabled_plans TEXT NOT NULL,
	assigned_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id, sku_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);

CREATE TABLE role_assignments (
	tenant_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	role      TEXT NOT NULL,
	PRIMARY KEY (tenant_id, user_id, role),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);

CREATE TABLE audit_events (
	tenant_id   TEXT NOT NULL,
	event_id    INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	actor_id    TEXT NOT NULL,
	actor_name  TEXT NOT NULL,
	via         TEXT NOT NULL,
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	sku_id      TEXT NOT NULL,
	before_json TEXT NOT NULL,
	after_json  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX audit_target ON audit_events (tenant_id, target_id, event_id);
CREATE INDEX audit_sku ON audit_events (tenant_id, sku_id, event_id);
