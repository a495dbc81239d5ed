package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/allot-project/allot"
)

// Graph error codes allot answers with.
const (
	codeBadRequest       = "Request_BadRequest"
	codeUnsupportedQuery = "Request_UnsupportedQuery"
	codeNotFound         = "Request_ResourceNotFound"
	codeForbidden        = "Authorization_RequestDenied"
	codeUnauthorized     = "InvalidAuthenticationToken"
	codeNotImplemented   = "NotImplemented"
	codeInternal         = "InternalServerError"
	codeTooManyRequests  = "TooManyRequests"
	// Decision (Graph unconfirmed): codes of 413 and 415.
	codeTooLarge         = "Request_EntityTooLarge"
	codeUnsupportedMedia = "Request_UnsupportedMediaType"
)

// msgInternal is the only message a caller sees of an unexpected error.
const msgInternal = "Internal error."

// apiError is an error raised by the HTTP layer itself (bad query, bad
// body, unknown route, throttling), with the status and Graph code to
// answer.
type apiError struct {
	status  int
	code    string
	message string
	details []errorDetail
}

func (e *apiError) Error() string { return "graph: " + e.code + ": " + e.message }

// badRequest returns a 400 Request_BadRequest.
func badRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: msg}
}

// unsupportedQuery returns a 400 Request_UnsupportedQuery.
func unsupportedQuery(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeUnsupportedQuery, message: msg}
}

// errorDetail is one entry of error.details.
type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

// statusEntry says how one domain error code is answered.
type statusEntry struct {
	status  int
	code    string
	details bool // a licensing rule: the domain code goes into error.details
}

// statusTable maps every allot error code to an HTTP status and a Graph
// error code; it is the only place that does. Codes not listed (EINTERNAL,
// and errors that are not *allot.Error) are 500 "Internal error.", logged
// once with the request id.
var statusTable = map[string]statusEntry{
	allot.ENOTFOUND:           {http.StatusNotFound, codeNotFound, false},
	allot.EINVALID:            {http.StatusBadRequest, codeBadRequest, false},
	allot.ECONFLICT:           {http.StatusBadRequest, codeBadRequest, false},
	allot.EFORBIDDEN:          {http.StatusForbidden, codeForbidden, false},
	allot.EUNAUTHORIZED:       {http.StatusUnauthorized, codeUnauthorized, false},
	allot.ENOTIMPL:            {http.StatusNotImplemented, codeNotImplemented, false},
	allot.ECOUNTVIOLATION:     {http.StatusBadRequest, codeBadRequest, true},
	allot.EMUTUALLYEXCLUSIVE:  {http.StatusBadRequest, codeBadRequest, true},
	allot.EDEPENDENCY:         {http.StatusBadRequest, codeBadRequest, true},
	allot.EUSAGELOCATION:      {http.StatusBadRequest, codeBadRequest, true},
	allot.EINVALIDLICENSE:     {http.StatusBadRequest, codeBadRequest, true},
	allot.ELICENSENOTHELD:     {http.StatusBadRequest, codeBadRequest, true},
	allot.ESELFSERVICE:        {http.StatusBadRequest, codeBadRequest, true},
	allot.EINVALIDDISABLEPLAN: {http.StatusBadRequest, codeBadRequest, true},
}

// toAPIError turns any error into what the caller is told. target is the
// object the request is about (a user id), used in the details of licensing
// errors about the user. internal reports an unexpected error.
//
// Decision: error.code stays Request_BadRequest for licensing rules, as
// Graph does, and error.details[0] carries the rule ("CountViolation", …)
// with target = the object at fault (detailTarget).
func toAPIError(err error, target string) (e *apiError, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	var ae *allot.Error
	entry, ok := statusTable[allot.ErrorCode(err)]
	if !ok || !errors.As(err, &ae) {
		return &apiError{status: http.StatusInternalServerError, code: codeInternal, message: msgInternal}, true
	}
	e = &apiError{status: entry.status, code: entry.code, message: ae.Message}
	if entry.details {
		e.details = []errorDetail{{Code: ae.Code, Message: ae.Message, Target: detailTarget(ae, target)}}
	}
	return e, false
}

// detailTarget names the object a licensing error is about, from its
// fields: the service plan at fault, else the SKU when the error is about
// the SKU alone (no seat, not owned), else the user the request names
// (usage location, rules between plans, licenses held or self-service).
func detailTarget(ae *allot.Error, user string) string {
	switch {
	case ae.PlanID != "":
		return ae.PlanID
	case ae.SKUID != "" && ae.UserID == "":
		return ae.SKUID
	}
	return user
}

// errorEnvelope is Graph's error body.
type errorEnvelope struct {
	Error mainError `json:"error"`
}

type mainError struct {
	Code       string        `json:"code"`
	Message    string        `json:"message"`
	Details    []errorDetail `json:"details,omitempty"`
	InnerError innerError    `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeError renders err in Graph's envelope, logging an unexpected error
// once with the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	info := infoFrom(r.Context())
	e, internal := toAPIError(err, info.target)
	if internal && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away: not a fault of the server.
		s.log.InfoContext(r.Context(), "request canceled", "request_id", info.id, "method", r.Method, "path", r.URL.Path)
	} else if internal && errors.Is(err, context.DeadlineExceeded) && r.Context().Err() != nil {
		// The request's overall deadline (budget.go) passed.
		s.log.WarnContext(r.Context(), "request timed out", "request_id", info.id, "method", r.Method, "path", r.URL.Path)
		e = &apiError{status: http.StatusServiceUnavailable, code: codeServiceUnavailable, message: "The request did not finish within its time limit."}
	} else if internal {
		s.log.ErrorContext(r.Context(), "internal error", "request_id", info.id, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.renderError(w, r, e)
}

// renderError writes e in Graph's envelope, unless the response has already
// started (a failure while streaming can only be logged).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if rec, ok := w.(*statusRecorder); ok && rec.status != 0 {
		return
	}
	info := infoFrom(r.Context())
	if e.status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="allot"`)
	}
	body := errorEnvelope{Error: mainError{Code: e.code, Message: e.message, Details: e.details,
		InnerError: innerError{Date: s.now().UTC().Format(dateTimeFormat), RequestID: info.id, ClientRequestID: info.clientID}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(body) // cannot fail: strings only
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Del("Content-Length")
	w.WriteHeader(e.status)
	w.Write(buf.Bytes())
}
