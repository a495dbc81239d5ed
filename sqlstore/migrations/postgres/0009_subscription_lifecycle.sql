-- Subscriptions over time (issue 9): whether a trial was already extended
-- (once at most), and an index for the lifecycle step, which looks in
-- every tenant for the subscriptions whose next lifecycle date has come.
ALTER TABLE subscriptions ADD COLUMN trial_extended BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX subscriptions_next_lifecycle ON subscriptions (next_lifecycle_at);
