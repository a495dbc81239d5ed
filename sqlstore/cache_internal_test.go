package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLitePageCaches checks the page cache of SQLite's readers: 8 MiB
// each, so that a server's readers do not hold hundreds of megabytes
// (docs/performance.md, W10). (The writer's one connection, 64 MiB, is
// the group committer's.)
func TestSQLitePageCaches(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "allot.db"), Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		name string
		pool *sql.DB
		want int
	}{
		{"reader", db.read, -8192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int
			if err := tt.pool.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA cache_size -want +got\n-%d\n+%d", tt.want, got)
			}
		})
	}
}
