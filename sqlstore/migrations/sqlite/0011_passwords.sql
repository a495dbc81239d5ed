-- Admin-center passwords (issue 11): one a user at most, kept as a PHC
-- string "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" so
-- that the parameters travel with each hash and can be raised later. A
-- user's row goes with the user when it is purged.
CREATE TABLE passwords (
	tenant_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	hash      TEXT NOT NULL,
	set_at    INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, user_id),
	FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, user_id) ON DELETE CASCADE
);
