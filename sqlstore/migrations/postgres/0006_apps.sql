-- Applications (service principals) hold roles like users and own tokens.
-- A token belongs to exactly one user or one application.
CREATE TABLE applications (
	tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
	app_id        TEXT NOT NULL,
	display_name  TEXT NOT NULL,
	display_lower TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
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

ALTER TABLE tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE tokens ADD COLUMN app_id TEXT;
ALTER TABLE tokens ADD CONSTRAINT tokens_owner CHECK ((user_id IS NULL) <> (app_id IS NULL));
ALTER TABLE tokens ADD CONSTRAINT tokens_app FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, app_id) ON DELETE CASCADE;
