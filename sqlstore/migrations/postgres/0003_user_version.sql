-- version counts the changes to a user's entitlement (licenses, sign-in,
-- deletion), so that caches apply announcements in commit order.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
