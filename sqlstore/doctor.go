package sqlstore

import (
	"context"
	"fmt"
)

// CounterMismatch is a seat pool whose maintained counter differs from the
// assignment rows it counts.
type CounterMismatch struct {
	TenantID, SKUID, Pool string
	Counter, Rows         int
}

// String describes the mismatch in one line.
func (m CounterMismatch) String() string {
	return fmt.Sprintf("tenant %s SKU %s pool %q: counter says %d, %d licenses assigned", m.TenantID, m.SKUID, m.Pool, m.Counter, m.Rows)
}

// CheckCounters recomputes every seat counter from the license rows and
// returns the pools where they differ; none on a healthy database. It scans
// every license, so it is an operator's check, not a request path.
func (db *DB) CheckCounters(ctx context.Context) ([]CounterMismatch, error) {
	var out []CounterMismatch
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT p.tenant_id, p.sku_id, p.pool, p.consumed, COALESCE(c.n, 0)
			FROM seat_pools p LEFT JOIN (
				SELECT tenant_id, sku_id, pool, COUNT(*) AS n FROM licenses GROUP BY tenant_id, sku_id, pool
			) c ON c.tenant_id = p.tenant_id AND c.sku_id = p.sku_id AND c.pool = p.pool
			WHERE p.consumed <> COALESCE(c.n, 0)
			UNION ALL
			SELECT l.tenant_id, l.sku_id, l.pool, 0, COUNT(*) FROM licenses l
			WHERE NOT EXISTS (SELECT 1 FROM seat_pools p WHERE p.tenant_id = l.tenant_id AND p.sku_id = l.sku_id AND p.pool = l.pool)
			GROUP BY l.tenant_id, l.sku_id, l.pool`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m CounterMismatch
			if err := rows.Scan(&m.TenantID, &m.SKUID, &m.Pool, &m.Counter, &m.Rows); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
