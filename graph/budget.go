package graph

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/allot-project/allot"
)

// This file bounds the time and the work of a request.
//
// Time: every request, authenticated or not, must send its body within
// Options.BodyTimeout of its headers (a read deadline on the connection,
// so a client dripping its body is cut off, and net/http's reading of an
// unread body after a 401 stops too) and is answered within
// Options.RequestTimeout (the context's deadline; the response must be
// written within it plus writeSlack). The bulk routes (bulkPaths) get
// Options.BulkBodyTimeout and Options.BulkTimeout instead, the longer body
// deadline only once the caller is authenticated and may run bulk work.
//
// The in-memory routes (memoryPaths: the license check, thousands a second)
// get neither a timer of their own nor a context deadline, which cost about
// 8 % of a check: their work never waits on the database, and the
// connection's deadlines that bound them are the http.Server's ReadTimeout
// and WriteTimeout, which ConfigureHTTP sets to the same body deadline and
// overall deadline plus writeSlack. net/http arms those once per request
// anyway; every other route moves them to its class's deadlines.
//
// Work: at most Options.MaxBulkRequests bulk requests (license changes and
// user imports) run at once in one server; another is refused at once with
// 503 and Retry-After, in Graph's envelope, before its body is read.

// Defaults of the time and work limits.
const (
	DefaultBodyTimeout     = 30 * time.Second
	DefaultRequestTimeout  = time.Minute
	DefaultBulkBodyTimeout = 5 * time.Minute
	DefaultBulkTimeout     = 10 * time.Minute
	DefaultMaxBulkRequests = 4
)

// writeSlack is how long after its context's deadline a response may still
// be being written: the time to render the error of a request that ran out.
const writeSlack = 10 * time.Second

// codeServiceUnavailable is Graph's code of a 503.
const codeServiceUnavailable = "serviceNotAvailable"

// bulkRetryAfter is the Retry-After, in seconds, of a bulk request refused
// because the budget is spent.
const bulkRetryAfter = 5

// bulkPaths are the routes of bulk work, which get the bulk deadlines.
var bulkPaths = map[string]bool{"/api/bulkAssignLicense": true, "/api/users/import": true}

// memoryPaths are the routes answered from memory, which limitTime leaves
// to the http.Server's timeouts.
var memoryPaths = map[string]bool{"/api/check": true}

// limits are a server's time and work limits, defaults applied.
type limits struct {
	body, request         time.Duration
	bulkBody, bulkRequest time.Duration
	bulk                  chan struct{} // one token per bulk request running
}

// newLimits applies the defaults to the options' limits.
func newLimits(o Options) limits {
	l := limits{body: o.BodyTimeout, request: o.RequestTimeout, bulkBody: o.BulkBodyTimeout, bulkRequest: o.BulkTimeout}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&l.body, DefaultBodyTimeout}, {&l.request, DefaultRequestTimeout}, {&l.bulkBody, DefaultBulkBodyTimeout}, {&l.bulkRequest, DefaultBulkTimeout}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	n := o.MaxBulkRequests
	if n <= 0 {
		n = DefaultMaxBulkRequests
	}
	l.bulk = make(chan struct{}, n)
	return l
}

// limitTime is the outermost handler: it sets the body's read deadline,
// the response's write deadline and the context's deadline of the
// request's class, except on memoryPaths. A writer that is not a
// connection (tests) has no deadlines but the context's.
//
// Once the body is read (or when there is none) the read deadline moves to
// the end of the request: net/http then reads the connection in the
// background to notice a client going away, and a read deadline passing
// there would cancel the request's context early.
func (s *Server) limitTime(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if memoryPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		total := s.limits.request
		if bulkPaths[r.URL.Path] {
			total = s.limits.bulkRequest
		}
		now := time.Now()
		end := now.Add(total + writeSlack)
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(end)
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(end)
		} else {
			_ = rc.SetReadDeadline(now.Add(s.limits.body))
			r.Body = &bodyDeadline{ReadCloser: r.Body, rc: rc, end: end}
		}
		ctx, cancel := context.WithTimeout(r.Context(), total)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ConfigureHTTP sets srv's ReadTimeout and WriteTimeout to the body
// deadline and the overall deadline (plus writeSlack) of an ordinary
// request: the bounds of the in-memory routes, which limitTime leaves to
// the http.Server. The other routes set their own deadlines over them.
func (s *Server) ConfigureHTTP(srv *http.Server) {
	srv.ReadTimeout = s.limits.body
	srv.WriteTimeout = s.limits.request + writeSlack
}

// bodyDeadline is a request body that moves the connection's read deadline
// to end once the body has been read.
type bodyDeadline struct {
	io.ReadCloser
	rc   *http.ResponseController
	end  time.Time
	done bool
}

// Read reads the body; at its end it moves the read deadline.
func (b *bodyDeadline) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(b.end)
	}
	return n, err
}

// bulkWork wraps the handler of a bulk route: refuse may refuse the
// principal before anything else; then the request takes a slot of the
// bulk budget or is refused with 503; a caller who may assign licenses
// gets the longer body deadline.
func (s *Server) bulkWork(refuse func(allot.Principal) error, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := principalFrom(r)
		if err := refuse(p); err != nil {
			return err
		}
		slot := &bulkSlot{}
		select {
		case s.limits.bulk <- struct{}{}:
			defer func() {
				if !slot.kept {
					<-s.limits.bulk
				}
			}()
			slot.release = func() { <-s.limits.bulk }
			r = r.WithContext(context.WithValue(r.Context(), bulkSlotKey{}, slot))
		default:
			w.Header().Set("Retry-After", strconv.Itoa(bulkRetryAfter))
			return &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable,
				message: "The server is running as many bulk requests as it allows (" + strconv.Itoa(cap(s.limits.bulk)) +
					"). Retry after " + strconv.Itoa(bulkRetryAfter) + " seconds."}
		}
		if p.Can(allot.ActionAssignLicenses) {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.limits.bulkBody))
		}
		return h(w, r)
	}
}

// refuseImportEarly refuses an import, before its body is read, to a
// principal that may not assign licenses, as importUsers would.
func refuseImportEarly(p allot.Principal) error {
	return allot.Authorize(p, allot.ActionAssignLicenses)
}

// bulkSlot is a bulk request's slot of the budget, which an operation
// running on in the background keeps (operation.go).
type bulkSlot struct {
	kept    bool
	release func()
}

// bulkSlotKey is the context key of a request's *bulkSlot.
type bulkSlotKey struct{}

// keepBulkSlot takes the request's slot of the bulk budget over from
// bulkWork, which then does not free it, and returns what frees it.
func keepBulkSlot(r *http.Request) func() {
	slot, _ := r.Context().Value(bulkSlotKey{}).(*bulkSlot)
	if slot == nil || slot.release == nil {
		return func() {}
	}
	slot.kept = true
	return slot.release
}
