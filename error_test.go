package allot_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/allot-project/allot"
)

// errFields returns the *allot.Error in err's chain without its message,
// so that tests compare the code and the fields a caller renders; nil for
// a nil err, and an EINTERNAL wrapper for any other error.
func errFields(err error) *allot.Error {
	if err == nil {
		return nil
	}
	var e *allot.Error
	if !errors.As(err, &e) {
		return &allot.Error{Code: "not an *allot.Error", Message: err.Error()}
	}
	c := *e
	c.Message = ""
	return &c
}

// wantError fails the test unless err carries exactly the code and fields
// of want (nil for no error).
func wantError(t *testing.T, err error, want *allot.Error) {
	t.Helper()
	if got := errFields(err); !reflect.DeepEqual(got, want) {
		t.Errorf("error (-want +got):\n-%s\n+%s\n(%v)", show(want), show(got), err)
	}
}

// show prints an error's fields, or nil.
func show(e *allot.Error) string {
	if e == nil {
		return "nil"
	}
	return fmt.Sprintf("%+v", *e)
}
