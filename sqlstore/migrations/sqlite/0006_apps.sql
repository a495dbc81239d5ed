-- Applications (service principals) hold roles like users and own tokens.
-- A token belongs to exactly one user or one application, so tokens is
-- rebuilt with user_id nullable and an app_id (SQLite cannot drop NOT NULL).
CREATE TABLE applications (
	tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
	app_id        TEXT NOT NULL,
	display_name  TEXT NOT NULL,
	display_lower TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, app_id)
);
CREATE UNIQUE INDEX applications_name ON applications (tenant_id, display_lower);

CREATE TABLE application_roles (
	tenant_id TEXT NOT NULL,
	app_id    TEXT NOT NULL,
	role      TEXT NOT NULL,
	PRIMARY KEY (tenant_id, app_id, role),
	FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, app_id) ON DELETE CASCADE
);

CREATE TABLE tokens_new (
	tenant_id  TEXT NOT NULL,
	token_hash TEXT NOT NULL,
	token_id   TEXT NOT NULL,
	user_id    TEXT,
	app_id     TEXT,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER,
	PRIMARY KEY (tenant_id, token_hash),
	CHECK ((user_id IS NULL) <> (app_id IS NULL)),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE,
	FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, app_id) ON DELETE CASCADE
);
INSERT INTO tokens_new (tenant_id, token_hash, token_id, user_id, created_at, expires_at, revoked_at)
	SELECT tenant_id, token_hash, token_id, user_id, created_at, expires_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_id ON tokens (tenant_id, token_id);
