package server

import (
	"context"
	"time"

	"github.com/allot-project/allot/lifecycle"
)

// runLifecycle runs allot's timed work (package lifecycle, the same steps
// as "allot lifecycle run") in the background: at start, then every
// interval, until ctx ends. Every server process runs it; the steps make
// sure each piece of work is done once across processes.
func (s *Server) runLifecycle(ctx context.Context, now func() time.Time, every time.Duration) {
	defer s.wg.Done()
	lifecycle.NewScheduler(lifecycle.Steps(s.db), every, now, s.log).Run(ctx)
}
