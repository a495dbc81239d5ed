package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of allot's programs.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command line is wrong
)

// ErrReported makes a program exit with ExitFailure without a line of its
// own: the command has already reported each of its failures.
var ErrReported = errors.New("failures reported above")

// Exit reports err, what running a command line returned, as one line on
// stderr that starts with prog ("allot: …"), and returns the exit code:
// ExitOK for nil and flag.ErrHelp, ExitUsage for a *UsageError, else
// ExitFailure. An interrupted command (ctx ended) says so; line renders
// the other errors (nil: err.Error()).
func Exit(ctx context.Context, stderr io.Writer, prog string, err error, line func(error) string) int {
	code, msg := classify(ctx, err, line)
	if msg != "" {
		fmt.Fprintln(stderr, prog+": "+msg)
	}
	return code
}

// ErrorJSON is the body of an error printed as JSON: Graph's envelope,
// {"error":{"code":…,"message":…}}, with details when the server gave any.
type ErrorJSON struct {
	Error ErrorObject `json:"error"`
}

// ErrorObject is the error of an ErrorJSON.
type ErrorObject struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Status is the HTTP status of an error the server answered.
	Status  int   `json:"status,omitempty"`
	Details []any `json:"details,omitempty"`
}

// ExitJSON is Exit for a command printing JSON: the error is one JSON
// document on stderr (ErrorJSON, made by describe from err and the line
// Exit would print), and the exit code is Exit's. Code is UsageError for
// a usage error and Interrupted for an interrupted command.
func ExitJSON(ctx context.Context, stderr io.Writer, err error, line func(error) string, describe func(err error, msg string) ErrorObject) int {
	code, msg := classify(ctx, err, line)
	if msg == "" {
		return code
	}
	var obj ErrorObject
	var uerr *UsageError
	switch {
	case errors.As(err, &uerr):
		obj = ErrorObject{Code: "UsageError", Message: msg}
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		obj = ErrorObject{Code: "Interrupted", Message: msg}
	default:
		obj = describe(err, msg)
	}
	enc := json.NewEncoder(stderr)
	enc.SetEscapeHTML(false)
	enc.Encode(ErrorJSON{obj})
	return code
}

// classify returns the exit code of err and the message to print, "" for
// none.
func classify(ctx context.Context, err error, line func(error) string) (int, string) {
	var uerr *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK, ""
	case errors.Is(err, ErrReported):
		return ExitFailure, ""
	case errors.As(err, &uerr):
		return ExitUsage, uerr.Msg
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return ExitFailure, "interrupted"
	case line == nil:
		line = error.Error
	}
	return ExitFailure, line(err)
}
