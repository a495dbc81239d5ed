package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/internal/pglocal"
	"github.com/allot-project/allot/lifecycle"
	"github.com/allot-project/allot/sqlstore"
)

// purgeStart is when the users of seedDeleted are deleted; purgeNow is 31
// days after it.
var (
	purgeStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	purgeNow   = purgeStart.Add(31 * 24 * time.Hour)
)

// seedDeleted creates, in the database dsn, a tenant with nOld users
// deleted at purgeStart (31 days before purgeNow) and one deleted two days
// later (29 days before), and returns its principal.
func seedDeleted(t *testing.T, dsn string, nOld int) allot.Principal {
	t.Helper()
	ctx := context.Background()
	clock := purgeStart
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Now: func() time.Time { return clock }, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tn := &allot.Tenant{Name: "Lifecycle", Domain: "lifecycle.example"}
	fatalIf(t, db.CreateTenant(ctx, tn))
	p := allot.SystemPrincipal(tn.ID, "test")
	for i := range nOld + 1 {
		if i == nOld {
			clock = clock.Add(2 * 24 * time.Hour)
		}
		u := &allot.User{UserPrincipalName: fmt.Sprintf("u%03d@lifecycle.example", i), DisplayName: "U"}
		fatalIf(t, db.CreateUser(ctx, p, u))
		fatalIf(t, db.DeleteUser(ctx, p, u.ID))
	}
	return p
}

// runAt runs one command line the way main does, at the time now.
func runAt(t *testing.T, now time.Time, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(string) string { return "" }
	m.Now = func() time.Time { return now }
	code := m.Execute(context.Background(), args)
	return result{code, stdout.String(), stderr.String()}
}

func TestLifecycleRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "allot.db")
	seedDeleted(t, path, 1)
	broken := filepath.Join(dir, "broken.db")
	seedDeleted(t, broken, 0)
	dropUsers(t, broken)
	missing := filepath.Join(dir, "missing.db")
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"purges the user deleted 31 days ago", []string{"lifecycle", "run", "--db", path},
			result{0, "purge-deleted-users: 1 deleted user purged\n" + idleLines(), ""}},
		{"then has nothing left to do", []string{"lifecycle", "run", "--db", path},
			result{0, "purge-deleted-users: 0 deleted users purged\n" + idleLines(), ""}},
		{"json", []string{"-o", "json", "lifecycle", "run", "--db", path},
			result{0, "[\n  {\n    \"step\": \"purge-deleted-users\",\n    \"count\": 0,\n    \"summary\": \"0 deleted users purged\"\n  }" + idleJSON() + "\n]\n", ""}},
		{"a failed step", []string{"lifecycle", "run", "--db", broken},
			result{1, idleLines(), "allot: purge-deleted-users: SQL logic error: no such table: users (1)\n"}},
		{"a failed step in json", []string{"lifecycle", "run", "--db", broken, "--output", "json"},
			result{1, "[\n  {\n    \"step\": \"purge-deleted-users\",\n    \"count\": 0,\n    \"error\": \"SQL logic error: no such table: users (1)\"\n  }" + idleJSON() + "\n]\n",
				"allot: purge-deleted-users: SQL logic error: no such table: users (1)\n"}},
		{"no database", []string{"lifecycle", "run", "--db", missing},
			result{1, "", "allot: database " + missing + " does not exist (run 'allot serve --db " + missing + "' to create it)\n"}},
		{"bad output", []string{"lifecycle", "run", "--db", path, "-o", "yaml"},
			result{2, "", "allot: lifecycle run: --output must be table or json, not \"yaml\"\n"}},
		{"an argument", []string{"lifecycle", "run", "now"},
			result{2, "", "allot: lifecycle run takes no arguments, got \"now\" (run 'allot lifecycle run -h' for usage)\n"}},
		{"unknown subcommand", []string{"lifecycle", "purge"},
			result{2, "", "allot: lifecycle: unknown subcommand \"purge\"; want run\n"}},
		{"no subcommand", []string{"lifecycle"},
			result{2, "", lifecycleUsage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runAt(t, purgeNow, tt.args...); got != tt.want {
				t.Errorf("allot %s (-want +got):\n-%+v\n+%+v", strings.Join(tt.args, " "), tt.want, got)
			}
		})
	}
}

// idleSteps are the steps after the purge, which have nothing to do in
// these tests' databases (each is tested with work of its own elsewhere).
func idleSteps() []lifecycle.Step {
	return lifecycle.Steps((*sqlstore.DB)(nil))[1:]
}

// idleLines is what the table output says of the idle steps.
func idleLines() string {
	var b strings.Builder
	for _, st := range idleSteps() {
		b.WriteString(lifecycle.Result{Step: &st}.String() + "\n")
	}
	return b.String()
}

// idleJSON is what the JSON output says of the idle steps, each object
// after a comma.
func idleJSON() string {
	var b strings.Builder
	for _, st := range idleSteps() {
		fmt.Fprintf(&b, ",\n  {\n    \"step\": %q,\n    \"count\": 0,\n    \"summary\": %q\n  }", st.Name, "0 "+st.Many)
	}
	return b.String()
}

// dropUsers removes the users table, so that the purge fails.
func dropUsers(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA foreign_keys = OFF; DROP TABLE users`); err != nil {
		t.Fatal(err)
	}
}

// fatalIf ends the test if err is not nil.
func fatalIf(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// childEnv names the command line that TestLifecycleRunConcurrent's child
// processes run, its arguments separated by \x1f.
const childEnv = "ALLOT_LIFECYCLE_CHILD"

// TestLifecycleRunConcurrent runs "allot lifecycle run" in three processes
// at once on one database, SQLite and PostgreSQL, and checks that each user
// deleted 31 days ago is purged and audited exactly once in all, and the
// one deleted 29 days ago stays.
func TestLifecycleRunConcurrent(t *testing.T) {
	if args := os.Getenv(childEnv); args != "" {
		m := NewMain(os.Stdout, os.Stderr)
		m.Now = func() time.Time { return purgeNow }
		os.Exit(m.Execute(context.Background(), strings.Split(args, "\x1f")))
	}
	tests := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "allot.db") }},
		{"postgres", postgresDSN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const nOld = 40
			dsn := tt.dsn(t)
			p := seedDeleted(t, dsn, nOld)
			if got := runConcurrently(t, 3, "lifecycle", "run", "--db", dsn); got != nOld {
				t.Errorf("the processes purged %d users in all, want %d", got, nOld)
			}
			purged, left := purgeOutcome(t, dsn, p)
			if len(purged) != nOld || len(left) != 1 {
				t.Errorf("users audited as purged: %d, want %d; users still deleted: %v, want only the one deleted 29 days ago", len(purged), nOld, left)
			}
			for id, n := range purged {
				if n != 1 {
					t.Errorf("user %s: %d user.purge events, want 1", id, n)
				}
			}
		})
	}
}

// runConcurrently runs the command line args in n processes at once and
// returns the sum of the users they report purged.
func runConcurrently(t *testing.T, n int, args ...string) int {
	t.Helper()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLifecycleRunConcurrent$")
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	line := regexp.MustCompile(`^purge-deleted-users: (\d+) deleted users? purged\n` + regexp.QuoteMeta(idleLines()) + `$`)
	total := 0
	for i, cmd := range cmds {
		err := cmd.Wait()
		m := line.FindStringSubmatch(outs[i].String())
		if err != nil || m == nil {
			t.Fatalf("process %d: %v, output:\n%s", i, err, outs[i])
		}
		k, _ := strconv.Atoi(m[1])
		total += k
	}
	return total
}

// purgeOutcome returns the number of user.purge events per user, and the
// users still deleted (restorable).
func purgeOutcome(t *testing.T, dsn string, p allot.Principal) (map[string]int, []string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	fatalIf(t, err)
	defer db.Close()
	events, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Limit: 1000})
	fatalIf(t, err)
	purged := map[string]int{}
	for _, e := range events {
		if e.Action == allot.AuditUserPurge {
			purged[e.TargetID]++
		}
	}
	users, _, err := db.FindUsers(ctx, p, allot.UserFilter{Deleted: true})
	fatalIf(t, err)
	var left []string
	for _, u := range users {
		left = append(left, u.UserPrincipalName)
	}
	return purged, left
}

// postgresDSN starts a PostgreSQL server for the test and returns the URL
// of a new database on it, or skips the test loudly when PostgreSQL is
// not installed (a failure under CI=true).
func postgresDSN(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	pg, err := pglocal.Start(ctx, pglocal.Options{})
	if errors.Is(err, pglocal.ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI: %v", err)
		}
		t.Skipf("!!! SKIPPING: PostgreSQL is not installed (%v); this test did NOT run !!!", err)
	}
	fatalIf(t, err)
	t.Cleanup(func() { pg.Stop() })
	url, err := pg.CreateDatabase(ctx, "allot")
	fatalIf(t, err)
	return url
}

func TestLifecycleHelp(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantOut []string // substrings of stdout
	}{
		{"listed by -h", []string{"-h"}, []string{"lifecycle", "purge of deleted users", `"allot lifecycle" work on`}},
		{"lifecycle -h", []string{"lifecycle", "-h"}, []string{"Usage: allot lifecycle run", "run every step once"}},
		{"help lifecycle run", []string{"help", "lifecycle", "run"}, []string{"Usage: allot lifecycle run", "-db", "-output", "purge-deleted-users: 2 deleted users purged", "Examples:"}},
		{"lifecycle run --help", []string{"lifecycle", "run", "--help"}, []string{"Usage: allot lifecycle run", "exit", "status is 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAllot(t, tt.args...)
			if got.code != 0 || got.stderr != "" {
				t.Errorf("exit code %d, stderr %q; want 0 and nothing", got.code, got.stderr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(got.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, got.stdout)
				}
			}
		})
	}
}
