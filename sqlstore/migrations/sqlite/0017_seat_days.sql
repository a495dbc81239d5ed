-- seat_days keeps, per product and UTC day, the change the audit log
-- records in its seats (allot.SeatDay), written with the events, so that
-- a seat chart reads a few rows instead of walking the log. The rows of
-- the events written before this migration are computed in Go right
-- after it, in the same transaction (seatdays.go).
CREATE TABLE seat_days (
	tenant_id TEXT NOT NULL,
	sku_id    TEXT NOT NULL,
	day       INTEGER NOT NULL, -- days since 1970-01-01 UTC
	assigned  INTEGER NOT NULL,
	total     INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, sku_id, day)
) WITHOUT ROWID;
