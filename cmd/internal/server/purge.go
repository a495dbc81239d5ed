package server

import (
	"context"
	"time"
)

// purger removes, now and then every interval, the users deleted more than
// 30 days ago (allot.DeletedRetention): the tiny scheduler of the purge
// step, which is a plain function of the time.
func (s *Server) purger(ctx context.Context, now func() time.Time, every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.db.PurgeDeletedUsers(ctx, now()); err != nil && ctx.Err() == nil {
			s.log.Error("purging deleted users", "err", err)
		} else if n > 0 {
			s.log.Info("purged deleted users", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
