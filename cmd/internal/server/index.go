package server

import (
	"context"
	"fmt"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/sqlstore"
)

// load loads the whole license-check index and logs how long it took.
func (s *Server) load(ctx context.Context) error {
	start := time.Now()
	if err := s.index.Load(ctx); err != nil {
		return fmt.Errorf("load the license-check index: %w", err)
	}
	s.log.Info("license-check index loaded", "users", s.index.Users(), "duration", time.Since(start))
	return nil
}

// listen applies the changes committed by other processes until ctx ends;
// ready is closed once it listens.
func (s *Server) listen(ctx context.Context, ready chan<- struct{}) {
	defer s.wg.Done()
	if err := s.db.Listen(ctx, ready, func(c allot.Change) { s.apply(ctx, c) }); err != nil {
		s.log.Error("change listener stopped", "err", err)
		if ctx.Err() == nil {
			reason := "change listener stopped: " + err.Error()
			s.readiness.deafened.Store(&reason)
		}
	}
}

// apply brings the index and the API's subscribedSkus cache in step with
// a change. If the index's update fails (the database could not be read),
// the index keeps its last committed state and a full reload is scheduled.
func (s *Server) apply(ctx context.Context, c allot.Change) {
	s.skus.Forget(c)
	if err := s.index.Apply(ctx, c); err != nil && ctx.Err() == nil {
		s.log.Error("license-check index update failed; reloading", "tenant", c.TenantID, "err", err)
		reason := "license-check index update failed: " + err.Error()
		s.readiness.stale.Store(&reason)
		select {
		case s.reload <- struct{}{}:
		default:
		}
	}
}

// reloader reloads the whole index when asked, retrying until it works.
func (s *Server) reloader(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reload:
		}
		// A failure after this reload began may not be in it: it stays.
		stale := s.readiness.stale.Load()
		for s.index.Load(ctx) != nil && ctx.Err() == nil {
			time.Sleep(time.Second)
		}
		if ctx.Err() == nil {
			s.readiness.stale.CompareAndSwap(stale, nil)
		}
	}
}

// loadFirst loads the index in the background at start (LoadInBackground).
// A failure leaves the server not ready and is retried by the reloader;
// checks are answered from SQL meanwhile.
func (s *Server) loadFirst(ctx context.Context) {
	defer s.wg.Done()
	if err := s.load(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("license-check index load failed; retrying", "err", err)
		reason := err.Error()
		s.readiness.stale.Store(&reason)
		select {
		case s.reload <- struct{}{}:
		default:
		}
	}
}

// checks answers license checks from the index once it is loaded, and
// from SQL until then: the same rule, allot.Check, either way.
type checks struct {
	index *index.Index
	db    *sqlstore.DB
}

// Check implements allot.CheckService.
func (c checks) Check(ctx context.Context, p allot.Principal, reqs []allot.CheckRequest) ([]allot.CheckResult, error) {
	if c.index.Loaded() {
		return c.index.Check(ctx, p, reqs)
	}
	return c.db.Check(ctx, p, reqs)
}

// reads answers the API's reads of one user (graph.Services.Reads): the
// user and its licenseDetails from the index when the index is provably
// current, else from SQL; a user with its licenses (which the index holds
// without their assignment dates), or one whose profile the index lacks,
// from SQL in one statement, at the row the index's hint names
// (index.UserRow, sqlstore's ReadUserAt: one B-tree descent instead of
// two; a stale hint costs a second read, never a wrong answer, so any
// index will do, current or not). Current means: the
// index is loaded, no update of it failed since (readiness.stale), and
// every commit reaches it before the write returns, which holds on SQLite
// only, where this process is the only writer and the store's commit hook
// applies each change before answering. On PostgreSQL other processes'
// commits arrive through the listener a moment later, so licenseDetails
// keep reading SQL there: a client that assigned a license through
// another process must see it on its next read.
type reads struct {
	s  *Server
	db *sqlstore.DB
}

// ReadUser implements allot.UserReadService.
func (r reads) ReadUser(ctx context.Context, p allot.Principal, idOrUPN string, withLicenses bool) (*allot.User, error) {
	if !withLicenses && r.s.indexCurrent() {
		if u, ok, err := r.s.index.ReadUser(p, idOrUPN); ok {
			return u, err
		}
	}
	return r.db.ReadUserAt(ctx, p, idOrUPN, withLicenses, r.s.index.UserRow(p.TenantID, idOrUPN))
}

// FindUserLicenses implements allot.UserReadService.
func (r reads) FindUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	if r.s.indexCurrent() {
		return r.s.index.FindUserLicenses(ctx, p, idOrUPN)
	}
	return r.db.FindUserLicenses(ctx, p, idOrUPN)
}

// indexCurrent reports whether the index holds every committed change
// (see reads).
func (s *Server) indexCurrent() bool {
	return s.db.Backend() == "sqlite" && s.index.Loaded() && s.readiness.stale.Load() == nil
}

// snapshot lets bulk changes plan from the index (sqlstore.Snapshot) while
// it is current; the change proves each user current in its write anyway,
// so this only spares a change planned in vain.
type snapshot struct{ s *Server }

// BulkEntitlements implements sqlstore.Snapshot.
func (n snapshot) BulkEntitlements(tenantID string, keys []string) ([]*allot.Entitlement, bool) {
	if !n.s.indexCurrent() {
		return nil, false
	}
	return n.s.index.BulkEntitlements(tenantID, keys)
}
