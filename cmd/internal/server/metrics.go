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
// set. Scrapes are short: a slow client is cut off.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.api.MetricsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s.serveUntil(ctx, srv, ln, false)
}
