package graph

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/allot-project/allot"
)

// This file runs long requests in the background, as Graph's long-running
// operations do. A POST /api/bulkAssignLicense or /api/users/import sent
// with "Prefer: respond-async" is checked as usual (authorization, body,
// bulk budget) and then answered 202 Accepted with
// "Preference-Applied: respond-async", "Location: …/api/operations/{id}"
// and the Operation; the work goes on in the background, within
// Options.BulkTimeout, holding its slot of the bulk budget until it ends.
//
//	GET /api/operations/{id}         → 200 Operation (status, progress)
//	GET /api/operations/{id}/result  → the answer the synchronous request
//	                                   would have given: 200 with its body,
//	                                   or its error
//
// Only the principal that started an operation may read it; anyone else,
// in its tenant or another, gets 404 (403 for an application that cannot
// start one). The result is spooled to a file
// and may be read again until the operation is forgotten,
// Options.OperationTTL after it ended. A tenant keeps at most
// Options.MaxOperations operations: when full, the oldest ended operation
// whose result was read is forgotten to make room, else the new request
// is refused with 429 and Retry-After.

// Defaults of the operations' bounds.
const (
	DefaultOperationTTL  = time.Hour
	DefaultMaxOperations = 16
)

// operationsRetryAfter is the Retry-After, in seconds, of a request
// refused because its tenant keeps as many operations as it may.
const operationsRetryAfter = 30

// The status of an Operation, as Graph's longRunningOperationStatus.
const (
	OperationNotStarted = "notStarted"
	OperationRunning    = "running"
	OperationSucceeded  = "succeeded"
	OperationFailed     = "failed"
)

// OperationsPath is where operations are read: OperationsPath/{id} and
// OperationsPath/{id}/result.
const OperationsPath = "/api/operations"

// Operation is the state of a request run in the background, Graph's
// richLongRunningOperation with allot's counts of the work: processed of
// total users (a bulk change) or rows (an import) planned.
// PercentageProgress follows the whole work, the writing that comes after
// the planning included (allot.Progress), and is at most 99 until the
// operation has ended.
type Operation struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"` // "bulkAssignLicense" or "importUsers"
	Status             string          `json:"status"`
	CreatedDateTime    string          `json:"createdDateTime"`
	LastActionDateTime string          `json:"lastActionDateTime"`
	Processed          int             `json:"processed"`
	Total              int             `json:"total"`
	PercentageProgress int             `json:"percentageProgress"` // 100 only once succeeded or failed
	ResourceLocation   string          `json:"resourceLocation"`   // where the result is read
	Error              *OperationError `json:"error,omitempty"`    // set when failed
}

// OperationError is why an operation failed, Graph's publicError: the
// code, message and details the synchronous request would have answered.
type OperationError struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Details []BulkError `json:"details,omitempty"`
}

// operation is one operation kept by the server; its fields after id are
// guarded by operations.mu.
type operation struct {
	id, kind, tenantID, owner string
	created, last, ended      time.Time
	status                    string
	progress                  allot.Progress
	fail                      *apiError // set when failed
	file                      string    // the spooled result, when succeeded
	read                      bool      // the result was read at least once
}

// operations are the operations a server keeps.
type operations struct {
	mu        sync.Mutex
	byID      map[string]*operation
	now       func() time.Time
	ttl       time.Duration
	perTenant int
	dir       string
}

// newOperations applies the defaults to the options' bounds.
func newOperations(o Options, now func() time.Time) *operations {
	ops := &operations{byID: map[string]*operation{}, now: now, ttl: o.OperationTTL, perTenant: o.MaxOperations, dir: o.OperationDir}
	if ops.ttl <= 0 {
		ops.ttl = DefaultOperationTTL
	}
	if ops.perTenant <= 0 {
		ops.perTenant = DefaultMaxOperations
	}
	return ops
}

// ownerOf names the principal an operation belongs to.
func ownerOf(p allot.Principal) string {
	return strings.Join([]string{p.TenantID, p.UserID, p.AppID, strconv.FormatBool(p.System), p.Name}, "\x00")
}

// add keeps a new operation for p, or refuses it with 429 when p's tenant
// keeps as many as it may and none can be forgotten.
func (ops *operations) add(p allot.Principal, kind string, total int) (*operation, error) {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	now := ops.now()
	ops.sweepLocked(now)
	var kept []*operation
	for _, op := range ops.byID {
		if op.tenantID == p.TenantID {
			kept = append(kept, op)
		}
	}
	if len(kept) >= ops.perTenant {
		var oldest *operation
		for _, op := range kept {
			if op.read && (oldest == nil || op.ended.Before(oldest.ended)) {
				oldest = op
			}
		}
		if oldest == nil {
			return nil, &retryError{apiError: &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
				message: "This tenant keeps as many operations as it may (" + strconv.Itoa(ops.perTenant) + "): read their results, or retry after " +
					strconv.Itoa(operationsRetryAfter) + " seconds."}, after: operationsRetryAfter}
		}
		ops.forgetLocked(oldest)
	}
	op := &operation{id: newRequestID(), kind: kind, tenantID: p.TenantID, owner: ownerOf(p), created: now, last: now,
		status: OperationNotStarted, progress: allot.Progress{Total: total}}
	ops.byID[op.id] = op
	return op, nil
}

// sweepLocked forgets the operations that ended more than ttl ago.
func (ops *operations) sweepLocked(now time.Time) {
	for _, op := range ops.byID {
		if !op.ended.IsZero() && now.Sub(op.ended) > ops.ttl {
			ops.forgetLocked(op)
		}
	}
}

// forgetLocked drops op and its spooled result.
func (ops *operations) forgetLocked(op *operation) {
	delete(ops.byID, op.id)
	if op.file != "" {
		os.Remove(op.file)
	}
}

// close forgets every operation and removes the results spooled so far;
// one still running removes its own when it ends (see end).
func (ops *operations) close() {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	for _, op := range ops.byID {
		ops.forgetLocked(op)
	}
}

// find returns a copy of the operation id if p started it.
func (ops *operations) find(p allot.Principal, id string) (operation, bool) {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	ops.sweepLocked(ops.now())
	op := ops.byID[id]
	if op == nil || op.owner != ownerOf(p) {
		return operation{}, false
	}
	return *op, true
}

// markRead records that op's result was read.
func (ops *operations) markRead(id string) {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	if op := ops.byID[id]; op != nil {
		op.read = true
	}
}

// update changes op under the lock and stamps its last action.
func (ops *operations) update(op *operation, f func(*operation)) {
	ops.mu.Lock()
	defer ops.mu.Unlock()
	f(op)
	op.last = ops.now()
}

// progress records how far op has come.
func (ops *operations) progress(op *operation) func(allot.Progress) {
	return func(p allot.Progress) {
		ops.update(op, func(op *operation) { op.progress = p })
	}
}

// end records the outcome of op: its spooled result, or its failure. An
// operation forgotten meanwhile has its file removed.
func (ops *operations) end(op *operation, file string, fail *apiError) {
	ops.update(op, func(op *operation) {
		op.ended, op.file, op.fail = ops.now(), file, fail
		op.status = OperationSucceeded
		if fail != nil {
			op.status = OperationFailed
		} else {
			op.progress.Planned = op.progress.Total
		}
		if ops.byID[op.id] != op && file != "" {
			os.Remove(file)
		}
	})
	time.AfterFunc(ops.ttl, func() { // files do not outlive the TTL even if nobody asks
		ops.mu.Lock()
		defer ops.mu.Unlock()
		if ops.byID[op.id] == op {
			ops.forgetLocked(op)
		}
	})
}

// retryError is an apiError answered with a Retry-After header.
type retryError struct {
	*apiError
	after int
}

// Unwrap lets toAPIError find the apiError.
func (e *retryError) Unwrap() error { return e.apiError }

// wantsAsync reports whether the request asks, with Prefer, to be answered
// before its work is done.
func wantsAsync(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(p, ";")
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				return true
			}
		}
	}
	return false
}

// operationRun does an operation's work, telling progress how it
// advances, and returns the writer of its result or its error.
type operationRun func(ctx context.Context, progress func(allot.Progress)) (func(io.Writer) error, error)

// startOperation answers 202 and runs run in the background, keeping the
// request's slot of the bulk budget until it ends.
func (s *Server) startOperation(w http.ResponseWriter, r *http.Request, kind string, total int, run operationRun) error {
	p := principalFrom(r)
	op, err := s.ops.add(p, kind, total)
	if err != nil {
		if re, ok := err.(*retryError); ok {
			w.Header().Set("Retry-After", strconv.Itoa(re.after))
		}
		return err
	}
	release := keepBulkSlot(r)
	reqID := infoFrom(r.Context()).id
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.limits.bulkRequest)
	go func() {
		defer cancel()
		defer release()
		s.runOperation(ctx, op, reqID, run)
	}()
	loc := baseURL(r) + OperationsPath + "/" + op.id
	snap, _ := s.ops.find(p, op.id)
	w.Header().Set("Location", loc)
	w.Header().Set("Preference-Applied", "respond-async")
	w.Header().Set("Retry-After", "1")
	return writeJSON(w, http.StatusAccepted, operationOf(&snap, loc))
}

// runOperation runs op's work, spools its result to a file and records
// the outcome.
func (s *Server) runOperation(ctx context.Context, op *operation, reqID string, run operationRun) {
	s.ops.update(op, func(op *operation) { op.status = OperationRunning })
	write, err := run(ctx, s.ops.progress(op))
	var file string
	if err == nil {
		file, err = s.spool(write)
	}
	if err != nil {
		e, internal := toAPIError(err, "")
		if internal {
			s.log.ErrorContext(ctx, "operation failed", "request_id", reqID, "operation", op.id, "err", err)
		}
		s.ops.end(op, "", e)
		return
	}
	s.ops.end(op, file, nil)
}

// spool writes a result to a new temporary file and returns its name.
func (s *Server) spool(write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(s.ops.dir, "allot-operation-*.json")
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// operationOf renders op, whose result is read at loc+"/result".
func operationOf(op *operation, loc string) Operation {
	out := Operation{ID: op.id, Type: op.kind, Status: op.status, CreatedDateTime: formatTime(op.created),
		LastActionDateTime: formatTime(op.last), Processed: op.progress.Planned, Total: op.progress.Total,
		PercentageProgress: min(99, op.progress.Percent()), ResourceLocation: loc + "/result"}
	if !op.ended.IsZero() {
		out.PercentageProgress = 100
	}
	if e := op.fail; e != nil {
		out.Error = &OperationError{Code: e.code, Message: e.message}
		for _, d := range e.details {
			out.Error.Details = append(out.Error.Details, BulkError(d))
		}
	}
	return out
}

// formatTime renders a time as Graph's DateTimeOffset.
func formatTime(t time.Time) string { return t.UTC().Format(dateTimeFormat) }

// encodeJSON writes v to w as writeJSON's body.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (s *Server) registerOperationRoutes() {
	s.route("GET "+OperationsPath+"/{id}", s.getOperation)
	s.route("GET "+OperationsPath+"/{id}/result", s.getOperationResult)
}

// findOperation returns the operation the request's {id} names, if its
// caller started it.
func (s *Server) findOperation(r *http.Request) (operation, error) {
	if err := refuseBulkEarly(principalFrom(r)); err != nil {
		return operation{}, err // an application that cannot start one
	}
	raw := r.PathValue("id")
	id, ok := canonicalGUID(raw)
	if !ok {
		return operation{}, badRequest("Invalid operation id '" + truncate(raw, 60) + "': an operation id is a GUID.")
	}
	op, ok := s.ops.find(principalFrom(r), id)
	if !ok {
		return operation{}, &apiError{status: http.StatusNotFound, code: codeNotFound,
			message: "Operation '" + id + "' does not exist, or has been forgotten."}
	}
	return op, nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) error {
	op, err := s.findOperation(r)
	if err != nil {
		return err
	}
	if op.ended.IsZero() {
		w.Header().Set("Retry-After", "1")
	}
	return writeJSON(w, http.StatusOK, operationOf(&op, baseURL(r)+OperationsPath+"/"+op.id))
}

// getOperationResult answers what the synchronous request would have: the
// spooled body, or the error.
func (s *Server) getOperationResult(w http.ResponseWriter, r *http.Request) error {
	op, err := s.findOperation(r)
	switch {
	case err != nil:
		return err
	case op.fail != nil:
		return op.fail
	case op.ended.IsZero():
		w.Header().Set("Retry-After", "1")
		return badRequest("Operation '" + op.id + "' is " + op.status + ": read its result once its status is succeeded or failed.")
	}
	f, err := os.Open(op.file)
	if errors.Is(err, fs.ErrNotExist) { // forgotten since it was found
		return &apiError{status: http.StatusNotFound, code: codeNotFound, message: "Operation '" + op.id + "' does not exist, or has been forgotten."}
	} else if err != nil {
		return err
	}
	defer f.Close()
	s.ops.markRead(op.id)
	writeJSONHeader(w, http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.InfoContext(r.Context(), "operation result cut", "request_id", infoFrom(r.Context()).id, "err", err)
	}
	return nil
}
