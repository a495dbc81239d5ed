package server

import (
	"context"
	"errors"
	"sync/atomic"
)

// atomicString is a reason, nil for none.
type atomicString = atomic.Pointer[string]

// readiness is why the server cannot answer license checks truthfully,
// which /healthz reports as "not ready".
type readiness struct {
	stale    atomicString // a failed index update, until a reload begun after it succeeds
	deafened atomicString // the listener for other processes' commits stopped: for good
}

// ready is graph.Options.Ready: an error while the license-check index is
// behind the database.
func (s *Server) ready(context.Context) error {
	for _, r := range []*atomicString{&s.readiness.deafened, &s.readiness.stale} {
		if p := r.Load(); p != nil {
			return errors.New(*p)
		}
	}
	return nil
}

// loading is graph.Options.Loading: the index is not loaded yet, and
// checks are answered from SQL.
func (s *Server) loading() bool { return !s.index.Loaded() }
