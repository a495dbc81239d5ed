-- A tenant owns one or more domains, one of them its default (kept in
-- tenants.domain too). A domain belongs to one tenant only. Every existing
-- tenant gets its domain as verified, default and initial.
CREATE TABLE domains (
	tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
	name        TEXT NOT NULL,
	is_default  BOOLEAN NOT NULL,
	is_verified BOOLEAN NOT NULL,
	is_initial  BOOLEAN NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, name)
);
CREATE UNIQUE INDEX domains_name ON domains (name);
INSERT INTO domains (tenant_id, name, is_default, is_verified, is_initial, created_at)
	SELECT tenant_id, lower(domain), TRUE, TRUE, TRUE, created_at FROM tenants;
