package demo_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestNewAdminPassword: the administrator signs in with the password
// returned, which is new at every call, and only with the latest one.
func TestNewAdminPassword(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := seed(t, db)
	shape := regexp.MustCompile(`^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$`)
	first, err := demo.NewAdminPassword(ctx, db, p.TenantID, strings.NewReader(strings.Repeat("\x00\x1e\xff", 6)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a9ha-9ha9-ha9h-a9ha"; first != want {
		t.Errorf("password from fixed randomness = %q, want %q", first, want)
	}
	second, err := demo.NewAdminPassword(ctx, db, p.TenantID, bytes.NewReader([]byte("0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	if !shape.MatchString(second) || second == first {
		t.Errorf("second password %q: want a new one of the shape %s", second, shape)
	}
	tests := []struct {
		name, password string
		want           string
	}{
		{"latest password", second, ""},
		{"former password", first, allot.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := db.SignIn(ctx, demo.AdminUPN, tt.password, time.Hour)
			if got := allot.ErrorCode(err); got != tt.want {
				t.Errorf("sign-in as %s: error code %q (%v), want %q", demo.AdminUPN, got, err, tt.want)
			}
		})
	}
	if _, err := demo.NewAdminPassword(ctx, db, p.TenantID, strings.NewReader("short")); err == nil {
		t.Errorf("NewAdminPassword with too little randomness: no error")
	}
}
