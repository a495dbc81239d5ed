package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/allot-project/allot/cmd/internal/cli"
)

// TestRepeatedFlags gives every flag of every command twice: a flag that
// takes repetitions (cli.Repeatable) must accept it, any other must be a
// usage error naming it, never silently keep the last value.
func TestRepeatedFlags(t *testing.T) {
	env := map[string]string{envURL: "http://127.0.0.1:1", envToken: "t"}
	for _, c := range NewMain(nil, nil).describe() {
		if c.Flags == nil {
			continue
		}
		c.Flags.VisitAll(func(f *flag.Flag) {
			_, repeatable := f.Value.(cli.Repeatable)
			twice := []string{dashedName(f.Name), dashedName(f.Name)}
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				v := f.DefValue
				if v == "" {
					v = "x"
				}
				twice = []string{dashedName(f.Name), v, dashedName(f.Name), v}
			}
			args := append(strings.Fields(strings.TrimPrefix(c.Path, "allot")), twice...)
			if c.Path == "allot" {
				args = append(twice, "skus")
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				m := NewMain(io.Discard, io.Discard)
				m.Getenv = func(k string) string { return env[k] }
				err := m.ParseFlags(context.Background(), args)
				var uerr *usageError
				refused := errors.As(err, &uerr) && strings.Contains(uerr.Msg, "more than once")
				if refused == repeatable {
					t.Errorf("repeatable %v, but parsing gave %v", repeatable, err)
				}
				m.Close()
			})
		})
	}
}

func dashedName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// TestVersion checks --version and that help shows flags as --flag.
func TestVersion(t *testing.T) {
	r := runAllot(t, "--version")
	if re := regexp.MustCompile(`^allot version \S.*, built with go1\.\d+`); r.code != 0 || !re.MatchString(r.stdout) {
		t.Errorf("--version: exit %d %q, want %s", r.code, r.stdout, re)
	}
	for _, args := range [][]string{{"help", "audit"}, {"license", "assign", "-h"}, {"serve", "--help"}} {
		r := runAllot(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "\n  --") || regexp.MustCompile(`(?m)^  -[a-z][a-z]`).MatchString(r.stdout) {
			t.Errorf("allot %s: exit %d, want flags shown as --flag:\n%s", strings.Join(args, " "), r.code, r.stdout)
		}
	}
}

// TestJSONErrors checks that with -o json errors are one JSON document on
// stderr, with the exit status they have as text.
func TestJSONErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		wantCode string
		wantMsg  string
	}{
		{"usage", []string{"audit", "-o", "json", "--limit", "-1"}, 2, "UsageError", "--limit"},
		{"usage before the output flag", []string{"users", "list", "--nope", "--output=json"}, 2, "UsageError", "nope"},
		{"refused by the server", []string{"users", "show", "nobody@contoso.example", "-o", "json"}, 1, "Request_ResourceNotFound", "nobody@contoso.example"},
		{"a product named by name", []string{"license", "assign", "--sku", "STANDARDPACK", "--user", "adele@contoso.example", "-o", "json"}, 1, "Request_BadRequest", "(STANDARDPACK)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, tt.args...)
			var e cli.ErrorJSON
			if err := json.Unmarshal([]byte(r.stderr), &e); err != nil || r.code != tt.code || e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("allot %s: exit %d, stderr %q (%v); want exit %d and a JSON error %s mentioning %q",
					strings.Join(tt.args, " "), r.code, r.stderr, err, tt.code, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if r := s.run(t, "users", "show", "nobody@contoso.example"); strings.HasPrefix(r.stderr, "{") || r.code != 1 {
		t.Errorf("without -o json the error is a line: exit %d %q", r.code, r.stderr)
	}
}

// TestBulkJSONErrors checks that a bulk change with -o json reports its
// failures in JSON only: per user in the results on stdout, or, refused
// whole (--atomic), as one JSON error with its details on stderr.
func TestBulkJSONErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.run(t, append([]string{"license", "assign", "--sku", "SPB", "--atomic", "-o", "json"}, userArgs(short)...)...)
	var e cli.ErrorJSON
	if err := json.Unmarshal([]byte(r.stderr), &e); err != nil || r.code != 1 || r.stdout != "" || len(e.Error.Details) == 0 || e.Error.Status != 400 {
		t.Errorf("--atomic -o json refused: exit %d, stdout %q, stderr %q (%v); want exit 1 and one JSON error with details", r.code, r.stdout, r.stderr, err)
	}
	r = s.run(t, append([]string{"license", "assign", "--sku", "SPB", "-o", "json"}, userArgs(short)...)...)
	var res struct {
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 1 || r.stderr != "" || res.Failed != 1 {
		t.Errorf("-o json with a failed user: exit %d, stdout %q, stderr %q (%v); want exit 1, the results with 1 failed, nothing on stderr", r.code, r.stdout, r.stderr, err)
	}
}
