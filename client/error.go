package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Error is an error the server answered in Graph's envelope. Callers decide
// by Status, Code and the Details' codes, never by the message, which is
// for people.
type Error struct {
	// Status is the HTTP status code of the answer.
	Status int `json:"-"`
	// Code is Graph's error code, e.g. Request_BadRequest.
	Code string `json:"code"`
	// Message says what went wrong, in English.
	Message string `json:"message"`
	// Details name the licensing rule refused (CountViolation, …) and
	// the user or item it is about (Target).
	Details []ErrorDetail `json:"details"`
}

// ErrorDetail is one item of a Graph error's details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}

// Error returns the server's message.
func (e *Error) Error() string { return e.Message }

// Rule returns the licensing rule a refusal names (the code of its first
// detail: CountViolation, LicenseNotHeld, …), or "".
func (e *Error) Rule() string {
	if len(e.Details) > 0 {
		return e.Details[0].Code
	}
	return ""
}

// AuthError is a 401: the token was missing, unknown, expired or revoked.
type AuthError struct {
	Err *Error
	// TokenFrom names where the token came from.
	TokenFrom string
}

// Error says that the token was refused and how to get one.
func (e *AuthError) Error() string {
	return fmt.Sprintf("the token was refused (%s): set %s to a valid token; 'allot token create --user UPN' issues one (the server said: %s)",
		e.Err.Code, e.TokenFrom, e.Err.Message)
}

// netError explains a request that got no answer, naming where the URL
// came from.
func (c *Client) netError(err error) error {
	var dnsErr *net.DNSError
	var why string
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused; is 'allot serve' running there?"
	case errors.As(err, &dnsErr):
		why = "no such host"
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		why = fmt.Sprintf("no answer within %s", RequestTimeout)
	default:
		why = err.Error()
	}
	return fmt.Errorf("cannot reach the allot server at %s (%s): %s", c.Base, c.URLFrom, why)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
