package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/sqlstore"
)

// The crash harness (go test -run Crash ./cmd/allot): a real allot serve
// child, writes from eight clients, kill -9 after 0.2 to 2 s, then
// the database checked without a server: every acknowledged write is
// there, every write that landed is audited, allot doctor's invariants
// hold. ALLOT_CRASH_CYCLES sets the cycles per engine (default 3); the
// long run of docs/reliability.md sets 100.

// crashCycles is the number of kill -9 cycles per engine.
func crashCycles(t *testing.T) int {
	n := 3
	if v := os.Getenv("ALLOT_CRASH_CYCLES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("ALLOT_CRASH_CYCLES=%q: want a number of cycles", v)
		}
	}
	return n
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary allotBinary built once the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// allotBinary builds cmd/allot once per test process, without the race
// detector, as operators run it.
func allotBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "allot-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "allot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// child is a running allot serve.
type child struct {
	cmd        *exec.Cmd
	url, token string
	stderr     *lockedBuffer
}

// startChild starts allot serve --demo on dsn and waits for its URL and
// token.
func startChild(t *testing.T, dsn string, extra ...string) *child {
	t.Helper()
	args := append([]string{"serve", "--demo", "--db", dsn, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--tenant-rate-limit", "0"}, extra...)
	c := &child{cmd: exec.Command(allotBinary(t), args...), stderr: &lockedBuffer{}}
	c.cmd.Stderr = c.stderr
	c.cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir()) // a killed child's spooled results go with the test
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	sc := bufio.NewScanner(out)
	for c.token == "" && sc.Scan() {
		if m := exportRE.FindStringSubmatch(sc.Text()); m != nil {
			c.url, c.token = m[1], m[2]
		}
	}
	if c.token == "" {
		t.Fatalf("allot serve printed no URL and token; stderr:\n%s", c.stderr)
	}
	go func() { // keep reading so that the child never blocks on stdout
		for sc.Scan() {
		}
	}()
	return c
}

// kill sends SIGKILL and waits for the child to be gone.
func (c *child) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// call sends one API request and returns the status (0 when the server
// is gone) and the decoded body.
func (c *child) call(method, path string, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// userState is what the clients know of one user they created.
type userState struct {
	upn       string
	created   bool // its creation was acknowledged
	licensed  bool // the state the last acknowledged change left
	uncertain bool // a change was sent and not acknowledged
}

// crashLedger records the acknowledged writes of every cycle.
type crashLedger struct {
	mu      sync.Mutex
	users   []*userState
	acked   int
	refused int
	checked int // users checked after the last cycle
}

// write runs one client until the server dies: it creates a user, assigns
// it Business Premium, then unassigns it, recording each answer.
func (l *crashLedger) write(c *child, cycle, client int) {
	for i := 0; ; i++ {
		u := &userState{upn: fmt.Sprintf("crash-%d-%d-%d@%s", cycle, client, i, demo.Domain), uncertain: true}
		l.mu.Lock()
		l.users = append(l.users, u)
		l.mu.Unlock()
		status, _ := c.call("POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "Crash", "mailNickname": "crash",
			"userPrincipalName": u.upn, "usageLocation": "US"})
		if !l.answer(u, status, http.StatusCreated, func() { u.created = true }) {
			return
		}
		if !u.created {
			continue
		}
		for _, op := range []string{"add", "remove"} {
			body := map[string]any{"addLicenses": []any{map[string]any{"skuId": demo.SKUBusinessPremium}}, "removeLicenses": []any{}}
			if op == "remove" {
				body = map[string]any{"addLicenses": []any{}, "removeLicenses": []any{demo.SKUBusinessPremium}}
			}
			u.uncertain = true
			status, _ := c.call("POST", "/v1.0/users/"+u.upn+"/assignLicense", body)
			if !l.answer(u, status, http.StatusOK, func() { u.licensed = op == "add" }) {
				return
			}
		}
	}
}

// answer records the answer to a write: acknowledged (want), refused
// (nothing changed) or none (the server is gone: the write may or may not
// have landed, and answer returns false).
func (l *crashLedger) answer(u *userState, status, want int, apply func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch status {
	case 0:
		return false
	case want:
		apply()
		l.acked++
	default:
		l.refused++
	}
	u.uncertain = false
	return true
}

// raiseSeats gives the demo tenant's Business Premium subscription seats
// enough for every cycle, so that assignments are not refused for want of
// seats left behind by changes cut off by a kill.
func (c *child) raiseSeats(t *testing.T) {
	t.Helper()
	_, list := c.call("GET", "/api/subscriptions", nil)
	values, _ := list["value"].([]any)
	for _, v := range values {
		s, _ := v.(map[string]any)
		if s["skuPartNumber"] == "SPB" && s["ownerType"] == allot.OwnerAdmin {
			if status, body := c.call("PATCH", "/api/subscriptions/"+s["id"].(string), map[string]any{"quantity": 100000}); status != http.StatusOK {
				t.Fatalf("raising Business Premium's seats: %d %v", status, body)
			}
			return
		}
	}
	t.Fatalf("no Business Premium subscription in %v", list)
}

// TestCrashSQLite and TestCrashPostgres run the crash cycles on each
// engine.
func TestCrashSQLite(t *testing.T) {
	crashLoop(t, filepath.Join(t.TempDir(), "allot.db"))
}

func TestCrashPostgres(t *testing.T) {
	crashLoop(t, postgresDSN(t))
}

func crashLoop(t *testing.T, dsn string) {
	if testing.Short() {
		t.Skip("kills real servers")
	}
	l := &crashLedger{}
	n := crashCycles(t)
	start := time.Now()
	for cycle := range n {
		c := startChild(t, dsn)
		if cycle == 0 {
			c.raiseSeats(t)
		}
		var wg sync.WaitGroup
		for client := range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); l.write(c, cycle, client) }()
		}
		time.Sleep(time.Duration(200+rand.IntN(1800)) * time.Millisecond)
		c.kill()
		wg.Wait()
		from := l.checked // this cycle's users; every user every 10 cycles and at the end
		if cycle%10 == 9 || cycle == n-1 {
			from = 0
		}
		verifyCrash(t, dsn, l, from)
		if t.Failed() {
			t.Fatalf("cycle %d of %d failed; the server's log:\n%s", cycle+1, n, c.stderr)
		}
	}
	t.Logf("%d kill -9 cycles in %s: %d writes acknowledged, every one found; %d refused; %d users created, all audited; doctor clean every time",
		n, time.Since(start).Round(time.Second), l.acked, l.refused, len(l.users))
}

// verifyCrash opens the killed server's database and checks the ledger's
// users from index from on against it and its audit, and its invariants.
func verifyCrash(t *testing.T, dsn string, l *crashLedger, from int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("reopening after kill -9: %v", err)
	}
	defer db.Close()
	tenant, err := db.FindTenantByDomain(ctx, demo.Domain)
	if err != nil {
		t.Fatal(err)
	}
	p := allot.SystemPrincipal(tenant.ID, "crash test")
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.checked = len(l.users) }()
	for _, u := range l.users[from:] {
		found, err := db.FindUser(ctx, p, u.upn)
		if allot.ErrorCode(err) == allot.ENOTFOUND {
			if u.created {
				t.Errorf("%s: its creation was acknowledged, it is gone", u.upn)
			}
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		held := len(found.Licenses) > 0
		if !u.uncertain && held != u.licensed {
			t.Errorf("%s: licensed %v, the last acknowledged change left %v", u.upn, held, u.licensed)
		}
		checkAudited(t, db, p, found)
	}
	problems, err := db.Doctor(ctx)
	if err != nil || len(problems) > 0 {
		t.Errorf("doctor after kill -9: %v, %v", problems, err)
	}
}

// checkAudited checks that a user the clients created has its creation
// audited, and its license too if it holds one.
func checkAudited(t *testing.T, db *sqlstore.DB, p allot.Principal, u *allot.User) {
	t.Helper()
	events, err := db.FindAuditEvents(context.Background(), p, allot.AuditFilter{UserID: u.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range events {
		actions[e.Action]++
	}
	if actions[allot.AuditUserCreate] != 1 {
		t.Errorf("%s: %d creation events, want 1 (%v)", u.UserPrincipalName, actions[allot.AuditUserCreate], actions)
	}
	if len(u.Licenses) > 0 && actions[allot.AuditLicenseAdd] <= actions[allot.AuditLicenseRemove] {
		t.Errorf("%s holds a license; audit %v", u.UserPrincipalName, actions)
	}
}
