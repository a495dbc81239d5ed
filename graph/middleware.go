package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/allot-project/allot"
)

// requestInfo is what the middleware and the handlers of one request share.
// The handlers fill it in through the pointer kept in the context.
type requestInfo struct {
	id        string // request-id, a fresh GUID
	clientID  string // client-request-id, echoed or else the request id
	route     string // the registered path pattern, "unmatched" for none
	principal allot.Principal
	authed    bool
	target    string    // the user the request is about, for error details
	links     *linkBase // decides the absolute links' base, when one is written
}

type infoKey struct{}

// infoFrom returns the request's info; a blank one outside the middleware
// (so that handlers may be called directly in tests).
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// principalFrom returns the authenticated principal of the request.
func principalFrom(r *http.Request) allot.Principal { return infoFrom(r.Context()).principal }

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (rec *statusRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// maxClientRequestID bounds the client-request-id echoed back.
const maxClientRequestID = 200

// observe is the outermost middleware: request ids, panic recovery, one
// log line and the HTTP metrics per request.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: newRequestID(), route: "unmatched", links: &s.links}
		info.clientID = r.Header.Get("client-request-id")
		if info.clientID == "" || len(info.clientID) > maxClientRequestID {
			info.clientID = info.id
		}
		setSecurityHeaders(w.Header())
		w.Header().Set("request-id", info.id)
		w.Header().Set("client-request-id", info.clientID)
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", info.id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.renderError(rec, r, &apiError{status: http.StatusInternalServerError, code: codeInternal, message: msgInternal})
			}
			s.finish(r, rec, info, start, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

// securityHeaders are set on every response: API answers are never
// sniffed as another type, cached, framed or followed with a Referer. The
// CSP forbids everything, as no answer is a page; pages set their own.
var securityHeaders = [...][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"Cache-Control", "no-store"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
	{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
}

// setSecurityHeaders sets securityHeaders on h with one allocation: the
// keys are canonical, and each answer gets its own copy of the values.
func setSecurityHeaders(h http.Header) {
	vals := make([]string, len(securityHeaders))
	for i, kv := range securityHeaders {
		vals[i] = kv[1]
		h[kv[0]] = vals[i : i+1 : i+1]
	}
}

// finish records the metrics and writes the request's log line. The
// line's attributes are built only when its level is enabled (the check's
// Debug line usually is not), in an array that stays on the stack, and
// the record goes straight to the handler, timed at the request's end:
// Logger.LogAttrs would read the clock again and walk the stack for a
// source position that is always this function (together a third of the
// line's cost, which was a fifth of a licenseDetails request's).
func (s *Server) finish(r *http.Request, rec *statusRecorder, info *requestInfo, start time.Time, d time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.observeRequest(info.route, r.Method, status, d)
	level := slog.LevelInfo
	if info.route == "/api/check" {
		level = slog.LevelDebug // the hot path: thousands a second
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	var buf [6]slog.Attr
	attrs := append(buf[:0],
		slog.String("method", r.Method),
		slog.String("route", info.route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("request_id", info.id),
	)
	if info.authed {
		attrs = append(attrs, slog.String("tenant", info.principal.TenantID))
	}
	line := slog.NewRecord(start.Add(d), level, "request", 0)
	line.AddAttrs(attrs...)
	if err := s.log.Handler().Handle(ctx, line); err != nil {
		return // as Logger.LogAttrs, which drops the handler's error
	}
}
