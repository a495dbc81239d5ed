package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServeMetrics serves GET /metrics alone on ln (allot serve
// --metrics-addr) until ctx ends, asking for the metrics token when one is
// set; with profiles, Go's profiles under /debug/pprof/ too (--pprof).
// Scrapes are short: a slow client is cut off, and a CPU profile or trace
// may last at most the write timeout.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener, profiles bool) error {
	srv := &http.Server{
		Handler:           s.api.MetricsHandler(profiles),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s.serveUntil(ctx, srv, ln, false)
}
