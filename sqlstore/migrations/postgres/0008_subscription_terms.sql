-- A subscription's term (P1M or P1Y; '' for one made before terms), when
-- that term ends and until when it may be cancelled at once. Times are
-- microseconds since the Unix epoch, 0 when unknown.
ALTER TABLE subscriptions ADD COLUMN term TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN commitment_end_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN cancellable_until BIGINT NOT NULL DEFAULT 0;
