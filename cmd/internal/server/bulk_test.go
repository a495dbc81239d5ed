package server

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// countedSnapshot is the server's snapshot, recording its answers.
type countedSnapshot struct {
	inner    sqlstore.Snapshot
	mu       sync.Mutex
	answers  []map[string]*allot.Entitlement
	declined int
}

// BulkEntitlements implements sqlstore.Snapshot.
func (c *countedSnapshot) BulkEntitlements(tenantID string, keys []string) ([]*allot.Entitlement, bool) {
	es, ok := c.inner.BulkEntitlements(tenantID, keys)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.declined++
		return es, ok
	}
	m := make(map[string]*allot.Entitlement, len(es)) // by key as named
	for i, e := range es {
		cp := *e
		m[keys[i]] = &cp
	}
	c.answers = append(c.answers, m)
	return es, ok
}

// TestBulkPlannedFromIndex runs a bulk removal through the API of a
// running SQLite server whose index has loaded: the change must be
// planned from the index (the server gives the store its snapshot, which
// answers with the users' committed state, so the write proves it
// current), checks must answer the new state at once, and the index and
// SQL must agree afterwards. While the index is not provably current, its
// snapshot declines and the change is planned from SQL, with the same
// outcome.
func TestBulkPlannedFromIndex(t *testing.T) {
	ctx := context.Background()
	r := startReads(t, "admin", "a", "b", "c", "d")
	a, b, c, d := r.users[1], r.users[2], r.users[3], r.users[4]
	for _, u := range []*allot.User{a, b, c} {
		_, err := r.db.AssignLicenses(ctx, r.sys, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: skuM365E3}}})
		noErr(t, err)
	}
	waitCurrent(t, r.Server)
	// The server gave the store its snapshot; count what it answers.
	planFrom := reflect.ValueOf(r.db).Elem().FieldByName("snapshot")
	if !planFrom.IsValid() || planFrom.IsNil() || planFrom.Elem().Type() != reflect.TypeFor[snapshot]() {
		t.Fatalf("the store plans bulk changes from %v, want the server's snapshot", planFrom)
	}
	snap := &countedSnapshot{inner: snapshot{r.Server}}
	r.db.PlanFrom(snap)
	before := entitlements(t, r)

	bulk(t, r, `{"users":["`+a.ID+`"," `+strings.ToUpper(b.UserPrincipalName)+`","`+d.ID+`"],"removeLicenses":["`+skuM365E3+`"]}`)
	if len(snap.answers) != 1 || snap.declined != 0 {
		t.Fatalf("snapshot answered %d times, declined %d; want 1 answer", len(snap.answers), snap.declined)
	}
	// The index's answer is SQL's state before the change, versions
	// included: the write proved it current and did not plan again.
	for k, e := range snap.answers[0] {
		want := before[e.UserID]
		if e.Version != want.Version || !reflect.DeepEqual(e.Licenses, want.Licenses) {
			t.Errorf("index's %s: version %d, licenses %v; SQL before the change: %d, %v", k, e.Version, e.Licenses, want.Version, want.Licenses)
		}
	}
	after := entitlements(t, r)
	for _, tt := range []struct {
		u       *allot.User
		bumped  bool
		license bool
	}{{a, true, false}, {b, true, false}, {c, false, true}, {d, false, false}} {
		e := after[tt.u.ID]
		if got := e.Version - before[tt.u.ID].Version; got != map[bool]int64{true: 1}[tt.bumped] || (len(e.Licenses) == 1) != tt.license {
			t.Errorf("%s after the change: version moved by %d, licenses %v; want moved %v, licensed %v", tt.u.UserPrincipalName, got, e.Licenses, tt.bumped, tt.license)
		}
		if got := checkExchange(t, r, tt.u.UserPrincipalName); got != tt.license {
			t.Errorf("check of %s's mailbox plan right after the change: licensed %v, want %v", tt.u.UserPrincipalName, got, tt.license)
		}
	}
	indexAgrees(t, r)

	// An index not provably current declines; SQL plans the same change.
	reason := "test: an update failed"
	r.readiness.stale.Store(&reason)
	bulk(t, r, `{"users":["`+c.ID+`"],"removeLicenses":["`+skuM365E3+`"]}`)
	if len(snap.answers) != 1 || snap.declined != 1 {
		t.Errorf("snapshot of a stale index answered %d times, declined %d; want 1 answer (the first change), 1 declined", len(snap.answers), snap.declined)
	}
	if e := entitlements(t, r)[c.ID]; len(e.Licenses) != 0 {
		t.Errorf("c after the change planned from SQL: %v, want no license", e.Licenses)
	}
	indexAgrees(t, r)
}

// waitCurrent waits until the server's index has loaded.
func waitCurrent(t *testing.T, s *Server) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !s.indexCurrent(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the index did not load")
		}
	}
}

// bulk sends a bulk license change that must succeed.
func bulk(t *testing.T, r *readsServer, body string) {
	t.Helper()
	resp, b := r.do(t, "POST", "/api/bulkAssignLicense", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bulk change: %s %s", resp.Status, b)
	}
}

// checkExchange asks the API whether the user may use
// EXCHANGE_S_ENTERPRISE.
func checkExchange(t *testing.T, r *readsServer, upn string) bool {
	t.Helper()
	resp, b := r.do(t, "GET", "/api/check?user="+upn+"&servicePlan=EXCHANGE_S_ENTERPRISE", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check: %s %s", resp.Status, b)
	}
	var res struct{ Licensed bool }
	noErr(t, json.Unmarshal(b, &res))
	return res.Licensed
}

// entitlements reads the tenant's users' entitlements from SQL, by id, in
// the form the index gives them (lower-case userPrincipalNames, no
// mailbox state, no assignment dates).
func entitlements(t *testing.T, r *readsServer) map[string]*allot.Entitlement {
	t.Helper()
	ids := make([]string, len(r.users))
	for i, u := range r.users {
		ids[i] = u.ID
	}
	es, err := r.db.FindEntitlements(context.Background(), r.tenant, ids)
	noErr(t, err)
	out := map[string]*allot.Entitlement{}
	for _, e := range es {
		e.UserPrincipalName = strings.ToLower(e.UserPrincipalName)
		e.Mailbox, e.MailboxKnown = "", false
		for i := range e.Licenses {
			e.Licenses[i].AssignedAt = time.Time{}
		}
		allot.SortLicenses(e.Licenses)
		if len(e.Licenses) == 0 {
			e.Licenses = nil
		}
		out[e.UserID] = e
	}
	return out
}

// indexAgrees checks that the index holds every user of the tenant as
// SQL does.
func indexAgrees(t *testing.T, r *readsServer) {
	t.Helper()
	want := entitlements(t, r)
	ids := slices.Sorted(maps.Keys(want))
	// The users as the index reads them, against SQL's; BulkEntitlements
	// gives no profiles, which bulk changes do not read.
	for _, id := range ids {
		want[id].Profile = nil
		sqlUser, err := r.db.ReadUser(context.Background(), r.sys, id, false)
		noErr(t, err)
		if u, ok, err := r.index.ReadUser(r.sys, id); !ok || err != nil || !reflect.DeepEqual(u, sqlUser) {
			t.Errorf("user %s (-SQL +index, answered %v, %v):\n-%+v\n+%+v", id, ok, err, sqlUser, u)
		}
	}
	es, ok := r.index.BulkEntitlements(r.tenant, ids)
	if !ok {
		t.Fatal("the index lacks users of the tenant")
	}
	got := make(map[string]*allot.Entitlement, len(es))
	for i, e := range es {
		got[ids[i]] = e
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("index (-SQL +index):\n-%s\n+%s", showAll(want), showAll(got))
	}
}

// showAll shows entitlements one a line, in user id order.
func showAll(m map[string]*allot.Entitlement) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(m)) {
		j, _ := json.Marshal(m[id])
		b.WriteString("\n  " + string(j))
	}
	return b.String()
}
