package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	g := &Group[string]{Name: "users", Usage: "Usage: users <list|show|delete>\n", Subcommands: []Subcommand[string]{
		{"list", func(args []string) (string, error) { return "list " + strings.Join(args, " "), nil }},
		{"show", func(args []string) (string, error) { return "show " + strings.Join(args, " "), nil }},
		{"delete", func(args []string) (string, error) { return "", errors.New("delete failed") }},
	}}
	tests := []struct {
		name                   string
		args                   []string
		want, wantOut, wantErr string
		wantCode               error
	}{
		{"subcommand", []string{"show", "a", "-o", "json"}, "show a -o json", "", "", nil},
		{"its error", []string{"delete"}, "", "", "", errors.New("delete failed")},
		{"none", nil, "", "", "Usage: users <list|show|delete>\n", &UsageError{}},
		{"help", []string{"--help", "list"}, "", "Usage: users <list|show|delete>\n", "", flag.ErrHelp},
		{"unknown", []string{"lsit"}, "", "", "", &UsageError{`users: unknown subcommand "lsit"; want list, show or delete`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			got, err := g.Dispatch(&stdout, &stderr, tt.args)
			if got != tt.want || stdout.String() != tt.wantOut || stderr.String() != tt.wantErr || !reflect.DeepEqual(err, tt.wantCode) {
				t.Errorf("Dispatch(%q) (-want +got):\n- %q, stdout %q, stderr %q, %#v\n+ %q, stdout %q, stderr %q, %#v",
					tt.args, tt.want, tt.wantOut, tt.wantErr, tt.wantCode, got, stdout.String(), stderr.String(), err)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name, fsName string
		args         []string
		wantArgs     []string
		wantV        bool
		wantErr      error
	}{
		{"flags after arguments", "allot users show", []string{"a", "-v", "b"}, []string{"a", "b"}, true, nil},
		{"after --", "allot users show", []string{"-v", "--", "-x", "c"}, []string{"-x", "c"}, true, nil},
		{"bad flag of a subcommand", "allot users show", []string{"-x"}, nil, false,
			&UsageError{"users show: flag provided but not defined: -x (run 'allot users show -h' for usage)"}},
		{"bad flag of a program", "allot-bench", []string{"a", "-x"}, nil, false,
			&UsageError{"flag provided but not defined: -x (run 'allot-bench -h' for usage)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := NewFlagSet(tt.fsName)
			v := fs.Bool("v", false, "verbose")
			var stdout strings.Builder
			err := ParseFlags(&stdout, fs, "usage", tt.args)
			if !reflect.DeepEqual(err, tt.wantErr) {
				t.Fatalf("error (-want +got):\n- %#v\n+ %#v", tt.wantErr, err)
			}
			if err == nil && (!reflect.DeepEqual(fs.Args(), tt.wantArgs) || *v != tt.wantV) {
				t.Errorf("args, -v (-want +got):\n- %q %v\n+ %q %v", tt.wantArgs, tt.wantV, fs.Args(), *v)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	fs := NewFlagSet("allot serve")
	fs.String("addr", ":8080", "listen on this `host:port`")
	var stdout strings.Builder
	err := ParseFlags(&stdout, fs, "Usage: allot serve [flags]\n", []string{"-h"})
	want := "Usage: allot serve [flags]\n\nFlags:\n\n  --addr host:port\n    \tlisten on this host:port (default \":8080\")\n"
	if !errors.Is(err, flag.ErrHelp) || stdout.String() != want {
		t.Errorf("-h (-want +got):\n- %q, %v\n+ %q, %v", want, flag.ErrHelp, stdout.String(), err)
	}
}

func TestExit(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	upper := func(err error) string { return strings.ToUpper(err.Error()) }
	tests := []struct {
		name       string
		ctx        context.Context
		err        error
		line       func(error) string
		want       int
		wantStderr string
	}{
		{"success", context.Background(), nil, nil, ExitOK, ""},
		{"help", context.Background(), fmt.Errorf("parse: %w", flag.ErrHelp), nil, ExitOK, ""},
		{"reported", context.Background(), ErrReported, nil, ExitFailure, ""},
		{"usage", context.Background(), &UsageError{"bad flag"}, nil, ExitUsage, "prog: bad flag\n"},
		{"usage printed", context.Background(), &UsageError{}, nil, ExitUsage, ""},
		{"interrupted", canceled, fmt.Errorf("run: %w", context.Canceled), nil, ExitFailure, "prog: interrupted\n"},
		{"failure", context.Background(), errors.New("no database"), nil, ExitFailure, "prog: no database\n"},
		{"failure rendered", context.Background(), errors.New("no database"), upper, ExitFailure, "prog: NO DATABASE\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			got := Exit(tt.ctx, &stderr, "prog", tt.err, tt.line)
			if got != tt.want || stderr.String() != tt.wantStderr {
				t.Errorf("Exit(%v) (-want +got):\n- %d %q\n+ %d %q", tt.err, tt.want, tt.wantStderr, got, stderr.String())
			}
		})
	}
}

func TestRepeatedFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantErr  error
		wantSKUs []string
		wantOut  string
	}{
		{"once each", []string{"--out", "json", "--sku", "A", "-v"}, nil, []string{"A"}, "json"},
		{"a list accumulates", []string{"--sku", "A", "--sku", "B,C", "x"}, nil, []string{"A", "B", "C"}, ""},
		{"a string twice", []string{"--out", "json", "--out", "table"}, &UsageError{"users list: --out was given more than once; give it once"}, nil, ""},
		{"twice after an argument", []string{"--out", "json", "x", "--out=json"}, &UsageError{"users list: --out was given more than once; give it once"}, nil, ""},
		{"a flag and its shorthand", []string{"-o", "json", "--out", "json"}, &UsageError{"users list: -o and --out set the same thing; give one of them once"}, nil, ""},
		{"a boolean twice", []string{"-v", "-v"}, &UsageError{"users list: -v was given more than once; give it once"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := NewFlagSet("allot users list")
			var skus ListFlag
			out := fs.String("out", "", "output")
			fs.StringVar(out, "o", "", "shorthand for --out")
			fs.Bool("v", false, "verbose")
			fs.Var(&skus, "sku", "a SKU")
			err := ParseFlags(io.Discard, fs, "usage", tt.args)
			if !reflect.DeepEqual(err, tt.wantErr) {
				t.Fatalf("error (-want +got):\n- %#v\n+ %#v", tt.wantErr, err)
			}
			if err == nil && (!reflect.DeepEqual([]string(skus), tt.wantSKUs) || *out != tt.wantOut) {
				t.Errorf("values (-want +got):\n- %q %q\n+ %q %q", tt.wantSKUs, tt.wantOut, skus, *out)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	g := &Group[string]{Name: "token", Usage: "usage", Subcommands: []Subcommand[string]{
		{"create", func(args []string) (string, error) {
			fs := NewFlagSet("allot token create")
			fs.String("user", "", "the user")
			return "", ParseFlags(io.Discard, fs, "usage", args)
		}},
		{"revoke", func(args []string) (string, error) { return "", &UsageError{"takes an id"} }},
	}}
	got := Describe("allot token", func(args []string) error {
		_, err := g.Dispatch(io.Discard, io.Discard, args)
		return err
	})
	var paths []string
	for _, c := range got {
		paths = append(paths, c.Path)
	}
	if want := []string{"allot token create", "allot token revoke"}; !reflect.DeepEqual(paths, want) || got[0].Flags.Lookup("user") == nil || got[1].Flags != nil {
		t.Errorf("Describe (-want +got):\n- %q, create with --user, revoke without flags\n+ %q %+v", want, paths, got)
	}
}

func TestExitJSON(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	describe := func(err error, msg string) ErrorObject {
		return ErrorObject{Code: "Refused", Message: msg, Status: 400}
	}
	tests := []struct {
		name       string
		ctx        context.Context
		err        error
		want       int
		wantStderr string
	}{
		{"success", context.Background(), nil, ExitOK, ""},
		{"reported", context.Background(), ErrReported, ExitFailure, ""},
		{"usage printed", context.Background(), &UsageError{}, ExitUsage, ""},
		{"usage", context.Background(), &UsageError{"bad flag"}, ExitUsage, `{"error":{"code":"UsageError","message":"bad flag"}}` + "\n"},
		{"interrupted", canceled, context.Canceled, ExitFailure, `{"error":{"code":"Interrupted","message":"interrupted"}}` + "\n"},
		{"failure", context.Background(), errors.New("no <seat>"), ExitFailure, `{"error":{"code":"Refused","message":"no <seat>","status":400}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			got := ExitJSON(tt.ctx, &stderr, tt.err, nil, describe)
			if got != tt.want || stderr.String() != tt.wantStderr {
				t.Errorf("ExitJSON(%v) (-want +got):\n- %d %q\n+ %d %q", tt.err, tt.want, tt.wantStderr, got, stderr.String())
			}
		})
	}
}
