package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/index"
	"github.com/allot-project/allot/internal/pglocal"
	"github.com/allot-project/allot/sqlstore"
)

const (
	e3       = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	bp       = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	exch2    = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	teams    = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	intune   = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"
	exch1    = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"
	yammer   = "7547a3fe-08ee-4ccb-b430-5077c5041653"
	notAPlan = "00000000-0000-4000-8000-000000000000"
)

type world struct {
	db     *sqlstore.DB
	ix     *index.Index
	p      allot.Principal
	subs   map[string]*allot.Subscription
	users  []*allot.User
	tenant *allot.Tenant
}

func newWorld(t *testing.T, db *sqlstore.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, subs: map[string]*allot.Subscription{}}
	w.tenant = &allot.Tenant{Name: "Contoso", Domain: fmt.Sprintf("c%d.example", rand.IntN(1e9))}
	must(t, db.CreateTenant(ctx, w.tenant))
	w.p = allot.SystemPrincipal(w.tenant.ID, "test")
	for _, sku := range []string{e3, bp} {
		s := &allot.Subscription{SKUID: sku, Quantity: 20}
		must(t, db.CreateSubscription(ctx, w.p, s))
		w.subs[sku] = s
	}
	for i := 0; i < 12; i++ {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("User%d@%s", i, w.tenant.Domain), DisplayName: "U", GivenName: "Given", UsageLocation: "FR", AccountEnabled: true}
		must(t, db.CreateUser(ctx, w.p, u))
		w.users = append(w.users, u)
	}
	return w
}

// randomChange makes one random committed change.
func (w *world) randomChange(ctx context.Context, r *rand.Rand) {
	u := w.users[r.IntN(len(w.users))]
	switch r.IntN(9) {
	case 0, 1:
		w.db.AssignLicenses(ctx, w.p, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3, DisabledPlans: pick(r, exch2, teams)}}})
	case 2:
		w.db.AssignLicenses(ctx, w.p, u.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: bp, DisabledPlans: []string{exch1}}}})
	case 3:
		w.db.AssignLicenses(ctx, w.p, u.ID, allot.LicenseChange{Remove: []string{[]string{e3, bp}[r.IntN(2)]}})
	case 4:
		on := r.IntN(2) == 0
		w.db.UpdateUser(ctx, w.p, u.ID, allot.UserUpdate{AccountEnabled: &on})
	case 5:
		if r.IntN(2) == 0 {
			w.db.DeleteUser(ctx, w.p, u.ID)
		} else {
			w.db.RestoreUser(ctx, w.p, u.ID)
		}
	case 6:
		st := []allot.SubscriptionStatus{allot.StatusEnabled, allot.StatusWarning, allot.StatusSuspended}[r.IntN(3)]
		w.db.UpdateSubscription(ctx, w.p, w.subs[[]string{e3, bp}[r.IntN(2)]].ID, allot.SubscriptionUpdate{Status: &st})
	case 7:
		name, job := fmt.Sprintf("Name %d", r.IntN(100)), []string{"", "Lead"}[r.IntN(2)]
		w.db.UpdateUser(ctx, w.p, u.ID, allot.UserUpdate{DisplayName: &name, JobTitle: &job})
	case 8: // a bulk license change, which carries no profile
		v := w.users[r.IntN(len(w.users))]
		ch := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: bp}}}
		if r.IntN(2) == 0 {
			ch = allot.LicenseChange{Remove: []string{bp}}
		}
		w.db.AssignLicensesBulk(ctx, w.p, allot.BulkLicenseChange{Users: []string{u.ID, v.UserPrincipalName}, Change: ch, SkipUnchanged: true})
	}
}

func pick(r *rand.Rand, plans ...string) []string {
	var out []string
	for _, p := range plans {
		if r.IntN(2) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// brute answers a check from the database alone, the slow obvious way.
func (w *world) brute(ctx context.Context, t *testing.T, user, plan string) allot.CheckResult {
	t.Helper()
	ents, err := w.db.FindEntitlements(ctx, w.tenant.ID, []string{user})
	must(t, err)
	access, err := w.db.FindPoolAccess(ctx, w.tenant.ID)
	must(t, err)
	var e *allot.Entitlement
	if len(ents) == 1 {
		e = ents[0]
	}
	r := allot.Check(w.db.Catalog(), e, w.db.Catalog().ServicePlan(plan), func(tn, sku, pool string) bool {
		return access[allot.PoolKey{TenantID: tn, SKUID: sku, Pool: pool}]
	})
	r.User = user
	return r
}

// compare checks every user against every plan of interest.
func (w *world) compare(ctx context.Context, t *testing.T, ix *index.Index, when string) {
	t.Helper()
	var reqs []allot.CheckRequest
	for _, u := range w.users {
		for _, p := range []string{exch2, teams, intune, exch1, yammer, notAPlan} {
			reqs = append(reqs, allot.CheckRequest{User: u.ID, ServicePlan: p})
		}
	}
	got, err := ix.Check(ctx, w.p, reqs)
	must(t, err)
	for i, r := range reqs {
		if want := w.brute(ctx, t, r.User, r.ServicePlan); got[i] != want {
			t.Fatalf("%s: check %+v:\n-want %+v\n+got  %+v", when, r, want, got[i])
		}
	}
	// Each user as the index reads it (GET /users/{id}) is the store's.
	for _, u := range w.users {
		for _, key := range []string{u.ID, strings.ToLower(u.UserPrincipalName)} {
			want, werr := w.db.ReadUser(ctx, w.p, key, false)
			got, ok, err := ix.ReadUser(w.p, key)
			if !ok || allot.ErrorCode(err) != allot.ErrorCode(werr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: user %s read by the index (answered %v) -store +index\n-%+v %v\n+%+v %v", when, key, ok, want, werr, got, err)
			}
		}
	}
}

func openSQLite(t *testing.T) *sqlstore.DB {
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "allot.db"), sqlstore.Options{Synchronous: "NORMAL"})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestIndexMatchesDatabase makes random changes and compares every answer
// of the index with one computed from the database after each change.
func TestIndexMatchesDatabase(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
	w := newWorld(t, db)
	must(t, ix.Load(ctx))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 150; i++ {
		w.randomChange(ctx, r)
		w.compare(ctx, t, ix, fmt.Sprintf("after change %d", i))
	}
	// A fresh load agrees with the incrementally maintained index.
	fresh := index.New(db.Catalog(), db)
	must(t, fresh.Load(ctx))
	w.compare(ctx, t, fresh, "fresh load")
}

func TestCheckAnswers(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	ix := index.New(db.Catalog(), db)
	db.OnCommit(func(c allot.Change) { must(t, ix.Apply(ctx, c)) })
	w := newWorld(t, db)
	must(t, ix.Load(ctx))
	a, b, c := w.users[0], w.users[1], w.users[2]
	_, err := db.AssignLicenses(ctx, w.p, a.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3, DisabledPlans: []string{teams}}}})
	must(t, err)
	_, err = db.AssignLicenses(ctx, w.p, b.ID, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: e3}}})
	must(t, err)
	_, err = db.UpdateUser(ctx, w.p, b.ID, allot.UserUpdate{AccountEnabled: ptr(false)})
	must(t, err)
	must(t, db.DeleteUser(ctx, w.p, c.ID))
	tests := []struct {
		name, user, plan string
		licensed         bool
		reason           string
	}{
		{"licensed by id and plan id", a.ID, exch2, true, allot.ReasonLicensed},
		{"by UPN any case and plan name", "USER0@" + w.tenant.Domain, "EXCHANGE_S_ENTERPRISE", true, allot.ReasonLicensed},
		{"plan disabled", a.ID, teams, false, allot.ReasonPlanDisabled},
		{"no license carries it", a.ID, intune, false, allot.ReasonNoLicense},
		{"sign-in blocked", b.ID, exch2, false, allot.ReasonSignInBlocked},
		{"deleted", c.ID, exch2, false, allot.ReasonUserDeleted},
		{"deleted by UPN is unknown", c.UserPrincipalName, exch2, false, allot.ReasonUserNotFound},
		{"unknown user", "ghost@" + w.tenant.Domain, exch2, false, allot.ReasonUserNotFound},
		{"unknown plan", a.ID, "NOPE", false, allot.ReasonUnknownPlan},
	}
	for _, tt := range tests {
		res, err := ix.Check(ctx, w.p, []allot.CheckRequest{{User: tt.user, ServicePlan: tt.plan}})
		must(t, err)
		if res[0].Licensed != tt.licensed || res[0].Reason != tt.reason {
			t.Errorf("%s: got %+v, want licensed=%v reason %s", tt.name, res[0], tt.licensed, tt.reason)
		}
		if tt.licensed && res[0].SKUID != e3 {
			t.Errorf("%s: granted by %q, want E3", tt.name, res[0].SKUID)
		}
	}
	st := allot.StatusSuspended
	_, err = db.UpdateSubscription(ctx, w.p, w.subs[e3].ID, allot.SubscriptionUpdate{Status: &st})
	must(t, err)
	res, err := ix.Check(ctx, w.p, []allot.CheckRequest{{User: a.ID, ServicePlan: exch2}})
	must(t, err)
	if res[0].Reason != allot.ReasonSubscriptionSuspended {
		t.Errorf("suspended subscription: got %+v", res[0])
	}
	// Another tenant's principal sees nobody.
	other := allot.Principal{TenantID: "00000000-0000-4000-8000-000000000001", Roles: []allot.Role{allot.RoleLicenseChecker}}
	res, err = ix.Check(ctx, other, []allot.CheckRequest{{User: a.ID, ServicePlan: exch2}})
	must(t, err)
	if res[0].Reason != allot.ReasonUserNotFound {
		t.Errorf("other tenant: got %+v", res[0])
	}
	_, err = ix.Check(ctx, allot.Principal{TenantID: w.tenant.ID}, []allot.CheckRequest{{User: a.ID, ServicePlan: exch2}})
	if allot.ErrorCode(err) != allot.EFORBIDDEN {
		t.Errorf("ordinary user checking: %v, want forbidden", err)
	}
	for _, n := range []int{0, allot.MaxChecks + 1} {
		if _, err := ix.Check(ctx, w.p, make([]allot.CheckRequest, n)); allot.ErrorCode(err) != allot.EINVALID {
			t.Errorf("batch of %d: %v, want invalid", n, err)
		}
	}
}

// TestIndexAcrossProcesses runs two stores on one PostgreSQL database, as
// two allot processes would, and checks that a change committed through one
// reaches the other's index within a second.
func TestIndexAcrossProcesses(t *testing.T) {
	if _, err := pglocal.BinDir(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("SKIPPING PostgreSQL test: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := pglocal.Start(ctx, pglocal.Options{})
	must(t, err)
	defer srv.Stop()
	url, err := srv.CreateDatabase(ctx, "allot")
	must(t, err)
	a, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	must(t, err)
	defer a.Close()
	b, err := sqlstore.Open(ctx, url, sqlstore.Options{})
	must(t, err)
	defer b.Close()

	ixB := index.New(b.Catalog(), b)
	ready := make(chan struct{})
	lctx, stopListen := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Listen(lctx, ready, func(c allot.Change) {
			if err := ixB.Apply(lctx, c); err != nil && lctx.Err() == nil {
				t.Error(err)
			}
		})
	}()
	defer func() { stopListen(); <-done }() // before the server stops
	<-ready
	w := newWorld(t, a)
	must(t, ixB.Load(ctx))
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		w.randomChange(ctx, r)
		deadline := time.Now().Add(time.Second)
		for {
			if ok := agrees(ctx, t, w, ixB); ok {
				break
			}
			if time.Now().After(deadline) {
				w.compare(ctx, t, ixB, fmt.Sprintf("process B, 1 s after change %d", i))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A bulk change larger than one notification carries.
	ids := make([]string, 0, 300)
	for i := 0; i < 300; i++ {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("bulk%d@%s", i, w.tenant.Domain), DisplayName: "B", UsageLocation: "US", AccountEnabled: true}
		must(t, a.CreateUser(ctx, w.p, u))
		ids = append(ids, u.ID)
	}
	q := 400
	_, err = a.UpdateSubscription(ctx, w.p, w.subs[bp].ID, allot.SubscriptionUpdate{Quantity: &q, Status: ptr(allot.StatusEnabled)})
	must(t, err)
	_, err = a.AssignLicensesBulk(ctx, w.p, allot.BulkLicenseChange{Users: ids, Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: bp}}}, AllOrNothing: true})
	must(t, err)
	deadline := time.Now().Add(time.Second)
	for {
		res, err := ixB.Check(ctx, w.p, []allot.CheckRequest{{User: ids[299], ServicePlan: intune}})
		must(t, err)
		if res[0].Licensed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bulk change not seen by process B after 1 s: %+v", res[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func agrees(ctx context.Context, t *testing.T, w *world, ix *index.Index) bool {
	for _, u := range w.users {
		for _, p := range []string{exch2, teams, intune} {
			got, err := ix.Check(ctx, w.p, []allot.CheckRequest{{User: u.ID, ServicePlan: p}})
			must(t, err)
			if got[0] != w.brute(ctx, t, u.ID, p) {
				return false
			}
		}
	}
	return true
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
