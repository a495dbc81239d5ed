-- Access tokens. The secret embeds the tenant id, so the key leads with it;
-- only the SHA-256 of the secret is stored.
CREATE TABLE tokens (
	tenant_id  TEXT NOT NULL,
	token_hash TEXT NOT NULL,
	token_id   TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT,
	PRIMARY KEY (tenant_id, token_hash),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX tokens_id ON tokens (tenant_id, token_id);
