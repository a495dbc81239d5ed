package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/allot-project/allot/internal/pglocal"
	"github.com/allot-project/allot/sqlstore"
	"github.com/allot-project/allot/storetest"
)

// pg is the PostgreSQL server shared by this package's tests, started on
// first use (postgres), or nil when the binaries are absent.
var (
	pgOnce  sync.Once
	pg      *pglocal.Server
	pgErr   error
	pgCount atomic.Int64
)

// postgres returns the package's PostgreSQL server, started on first use:
// a test process that needs none starts none, such as the child that
// TestCommittedSurvivesCrash kills, whose cluster no Stop would remove.
func postgres() (*pglocal.Server, error) {
	pgOnce.Do(func() { pg, pgErr = pglocal.Start(context.Background(), pglocal.Options{}) })
	return pg, pgErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgOnce.Do(func() {}) // none started: none to stop
	if pg != nil {
		pg.Stop()
	}
	os.Exit(code)
}

// store wraps a DB so that it satisfies storetest.Store.
type store struct{ *sqlstore.DB }

func (s store) CounterMismatches(ctx context.Context) ([]string, error) {
	ms, err := s.CheckCounters(ctx)
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out, err
}

func openSQLite(t *testing.T, c *storetest.Clock) storetest.Store {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Now: c.Now, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store{db}
}

// postgresURL returns the URL of a new empty database, or skips the test
// loudly when PostgreSQL is not installed (a failure under CI=true).
func postgresURL(t *testing.T) string {
	t.Helper()
	srv, err := postgres()
	if srv == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI: %v", err)
		}
		t.Skipf("SKIPPING PostgreSQL tests: %v", err)
	}
	url, err := srv.CreateDatabase(context.Background(), fmt.Sprintf("t%d", pgCount.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func openPostgres(t *testing.T, c *storetest.Clock) storetest.Store {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), postgresURL(t), sqlstore.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return store{db}
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, openSQLite)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, openPostgres)
}
