package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// asyncHeader asks for a long-running operation.
var asyncHeader = map[string]string{"Prefer": "respond-async"}

// startAsync posts body to path with Prefer: respond-async and checks
// the 202; it returns the operation's path.
func (f *fixture) startAsync(t *testing.T, tf *tenantFixture, caller, path, body string, header map[string]string) string {
	t.Helper()
	h := map[string]string{"Prefer": "respond-async"}
	for k, v := range header {
		h[k] = v
	}
	resp := f.do(t, request{method: "POST", path: path, token: tf.tokens[caller], body: []byte(body), header: h})
	if resp.status != http.StatusAccepted {
		t.Fatalf("POST %s async: status -want +got\n-202\n+%d %s", path, resp.status, resp.body)
	}
	if got := resp.header.Get("Preference-Applied"); got != "respond-async" {
		t.Errorf("Preference-Applied -want +got\n-respond-async\n+%s", got)
	}
	loc := resp.header.Get("Location")
	opPath, ok := strings.CutPrefix(loc, "http://allot.test")
	if !ok || !strings.HasPrefix(opPath, OperationsPath+"/") {
		t.Fatalf("Location %q is not an operation of this server", loc)
	}
	var op Operation
	must(t, json.Unmarshal(resp.body, &op))
	if op.ID == "" || OperationsPath+"/"+op.ID != opPath || op.ResourceLocation != loc+"/result" {
		t.Errorf("202 body %s does not match Location %s", resp.body, loc)
	}
	return opPath
}

// operation reads an operation as caller.
func (f *fixture) operation(t *testing.T, tf *tenantFixture, caller, opPath string) Operation {
	t.Helper()
	resp := f.get(t, tf, caller, opPath)
	if resp.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", opPath, resp.status, resp.body)
	}
	var op Operation
	must(t, json.Unmarshal(resp.body, &op))
	return op
}

// awaitOperation polls an operation until it ends and returns it.
func (f *fixture) awaitOperation(t *testing.T, tf *tenantFixture, caller, opPath string) Operation {
	t.Helper()
	for range 3000 {
		if op := f.operation(t, tf, caller, opPath); op.Status == OperationSucceeded || op.Status == OperationFailed {
			return op
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not end", opPath)
	return Operation{}
}

// TestOperationBulk checks a bulk change run as an operation: 202, polled
// to its end, and a result equal to the synchronous answer on the same
// input, for a success, a refusal and an import.
func TestOperationBulk(t *testing.T) {
	f := newFixture(t, withImports)
	a := f.a
	u1, u2 := f.freshUser(t, a), f.freshUser(t, a)
	users := `"users":["` + u1.ID + `","` + u2.UserPrincipalName + `","nobody@contoso.example"]`
	tests := []struct {
		name, path, body string
		header           map[string]string
		wantStatus       string
		wantResult       int
	}{
		{name: "dry run", path: "/api/bulkAssignLicense", body: `{` + users + `,"addLicenses":[{"skuId":"` + skuExchangeStd + `"}],"dryRun":true}`,
			wantStatus: OperationSucceeded, wantResult: http.StatusOK},
		{name: "all or nothing refused", path: "/api/bulkAssignLicense", body: `{` + users + `,"addLicenses":[{"skuId":"` + skuExchangeStd + `"}],"mode":"allOrNothing"}`,
			wantStatus: OperationFailed, wantResult: http.StatusBadRequest},
		{name: "import dry run", path: "/api/users/import?dryRun=true",
			body:       "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nnew1@contoso.example,New,US,true,SPE_E3\nbad,Bad,US,true,\n",
			header:     map[string]string{"Content-Type": "text/csv"},
			wantStatus: OperationSucceeded, wantResult: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			syncResp := f.do(t, request{method: "POST", path: tt.path, token: a.tokens[callerLicense], body: []byte(tt.body), header: tt.header})
			opPath := f.startAsync(t, a, callerLicense, tt.path, tt.body, tt.header)
			op := f.awaitOperation(t, a, callerLicense, opPath)
			if op.Status != tt.wantStatus || op.PercentageProgress != 100 {
				t.Errorf("status -want +got\n-%s 100%%\n+%s %d%%", tt.wantStatus, op.Status, op.PercentageProgress)
			}
			res := f.get(t, a, callerLicense, opPath+"/result")
			if res.status != tt.wantResult || syncResp.status != tt.wantResult {
				t.Fatalf("result status -want +got\n-%d\n+%d (synchronous %d) %s", tt.wantResult, res.status, syncResp.status, res.body)
			}
			if res.status == http.StatusOK {
				if string(res.body) != string(syncResp.body) {
					t.Errorf("result differs from the synchronous answer:\n-%s\n+%s", syncResp.body, res.body)
				}
			} else if d := diff(syncResp.envelope(t).Error.Details, res.envelope(t).Error.Details); d != "" || syncResp.envelope(t).Error.Code != res.envelope(t).Error.Code {
				t.Errorf("refusal differs from the synchronous one (-sync +async):\n%s", d)
			}
			if tt.wantStatus == OperationFailed && (op.Error == nil || len(op.Error.Details) == 0 || op.Error.Details[0].Code != "CountViolation") {
				t.Errorf("operation error -want +got\n-CountViolation\n+%+v", op.Error)
			}
			if again := f.get(t, a, callerLicense, opPath+"/result"); again.status != res.status {
				t.Errorf("second read of the result: %d, want %d", again.status, res.status)
			}
		})
	}
	t.Run("writes", func(t *testing.T) {
		body := `{"users":["` + u1.ID + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}]}`
		opPath := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", body, nil)
		if op := f.awaitOperation(t, a, callerLicense, opPath); op.Status != OperationSucceeded || op.Processed != 1 || op.Total != 1 {
			t.Fatalf("operation -want +got\n-succeeded 1/1\n+%s %d/%d", op.Status, op.Processed, op.Total)
		}
		if got := f.licenses(t, a, u1.ID); strings.Join(got, ",") != skuE3 {
			t.Errorf("licenses -want +got\n-[%s]\n+%v", skuE3, got)
		}
	})
}

// TestOperationAccess checks that only the principal that started an
// operation reads it, and the answers to bad and unknown ids.
func TestOperationAccess(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u := f.freshUser(t, a)
	opPath := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", `{"users":["`+u.ID+`"],"addLicenses":[{"skuId":"`+skuE3+`"}],"dryRun":true}`, nil)
	f.awaitOperation(t, a, callerLicense, opPath)
	unknown := OperationsPath + "/" + newRequestID()
	tests := []struct {
		name   string
		tf     *tenantFixture
		caller string
		path   string
		want   int
	}{
		{"owner", a, callerLicense, opPath, http.StatusOK},
		{"owner's result", a, callerLicense, opPath + "/result", http.StatusOK},
		{"other token of the tenant", a, callerGlobal, opPath, http.StatusNotFound},
		{"other token's result", a, callerGlobal, opPath + "/result", http.StatusNotFound},
		{"other tenant", f.b, callerLicense, opPath, http.StatusNotFound},
		{"other tenant's result", f.b, callerLicense, opPath + "/result", http.StatusNotFound},
		{"no token", a, callerNone, opPath, http.StatusUnauthorized},
		{"bad id", a, callerLicense, OperationsPath + "/nope", http.StatusBadRequest},
		{"bad id's result", a, callerLicense, OperationsPath + "/nope/result", http.StatusBadRequest},
		{"unknown id", a, callerLicense, unknown, http.StatusNotFound},
		{"unknown id's result", a, callerLicense, unknown + "/result", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := f.get(t, tt.tf, tt.caller, tt.path); resp.status != tt.want {
				t.Errorf("status -want +got\n-%d\n+%d %s", tt.want, resp.status, resp.body)
			}
		})
	}
	t.Run("forgotten after its time", func(t *testing.T) {
		f.clock.Add(DefaultOperationTTL + time.Minute)
		if resp := f.get(t, a, callerLicense, opPath); resp.status != http.StatusNotFound {
			t.Errorf("status -want +got\n-404\n+%d %s", resp.status, resp.body)
		}
	})
	t.Run("synchronous without Prefer", func(t *testing.T) {
		resp := f.send(t, a, callerLicense, "POST", "/api/bulkAssignLicense", `{"users":["`+u.ID+`"],"addLicenses":[{"skuId":"`+skuE3+`"}],"dryRun":true}`)
		if resp.status != http.StatusOK || resp.header.Get("Preference-Applied") != "" {
			t.Errorf("status -want +got\n-200 without Preference-Applied\n+%d %q", resp.status, resp.header.Get("Preference-Applied"))
		}
	})
}

// hookLicenses is the store's license service with a hook called on each
// report of a bulk change's progress.
type hookLicenses struct {
	allot.LicenseService
	hook func(allot.Progress)
}

// AssignLicensesBulk runs the change, calling the hook after each report.
func (h hookLicenses) AssignLicensesBulk(ctx context.Context, p allot.Principal, b allot.BulkLicenseChange) ([]allot.BulkResult, error) {
	report := b.Progress
	b.Progress = func(pr allot.Progress) {
		if report != nil {
			report(pr)
		}
		h.hook(pr)
	}
	return h.LicenseService.AssignLicensesBulk(ctx, p, b)
}

// gate holds the changes of a test at their first report where at holds,
// until it is opened.
type gate struct {
	at      func(allot.Progress) bool
	once    sync.Once
	reached chan struct{}
	open    chan struct{}
}

func newGate(at func(allot.Progress) bool) *gate {
	return &gate{at: at, reached: make(chan struct{}), open: make(chan struct{})}
}

func (g *gate) hook(p allot.Progress) {
	if g.at(p) {
		g.once.Do(func() { close(g.reached); <-g.open })
	}
}

// wait waits until a change is held at the gate; a change that never
// reports what the gate waits for fails the test instead of hanging it.
func (g *gate) wait(t *testing.T) {
	t.Helper()
	select {
	case <-g.reached:
	case <-time.After(time.Minute):
		t.Fatal("no change reported the progress the gate waits for")
	}
}

// planning is a change planning its users: some are planned, not all.
func planning(p allot.Progress) bool { return p.Planned > 0 && p.Planned < p.Total }

// writing is a change writing: every user planned, a part of the writing
// done.
func writing(p allot.Progress) bool {
	return p.Planned == p.Total && p.Done > p.Total && p.Done < p.Work
}

// withGate makes the server's bulk changes pass through g.
func withGate(g *gate) func(*Options, *Services) {
	return func(o *Options, s *Services) {
		s.Licenses = hookLicenses{LicenseService: s.Licenses, hook: g.hook}
	}
}

// manyUsers creates n users in tf and returns their userPrincipalNames.
func (f *fixture) manyUsers(t *testing.T, tf *tenantFixture, n int) []string {
	t.Helper()
	rows := make([]allot.ImportRow, n)
	upns := make([]string, n)
	for i := range rows {
		upns[i] = fmt.Sprintf("many%d@%s", i, tf.tenant.Domain)
		rows[i] = allot.ImportRow{Line: i + 2, UserPrincipalName: upns[i], DisplayName: "Many", UsageLocation: "US", AccountEnabled: true}
	}
	res, err := f.db.ImportUsers(context.Background(), sys(tf.tenant.ID), rows, allot.ImportOptions{})
	must(t, err)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("line %d: %v", r.Line, r.Err)
		}
	}
	return upns
}

// TestOperationProgress checks that an operation's progress really
// advances, through the planning and then the writing: held at the
// store's first report of a part of the users planned, the operation is
// running with 0 < processed < total; held after the first step of the
// writing, every user is processed but the percentage is that of the
// work done, writes included, not 99.
func TestOperationProgress(t *testing.T) {
	tests := []struct {
		name  string
		at    func(allot.Progress) bool
		users int
		dry   bool
		// the held operation's
		processed, percent int
		changed            int // in the result; the others fail, E3 having 100 seats
	}{
		// 1,200 users planned by 500: held at 500 planned, as if each
		// were then written in four steps: 500 of 1,200 × 5.
		{name: "planning", at: planning, users: 1200, dry: true, processed: 500, percent: 100 * 500 / (1200 * 5), changed: 100},
		// 90 users get E3 (of its 100 seats): held after the first of
		// the four steps that write them, 90 + 90 of 90 + 4 × 90.
		{name: "writing", at: writing, users: 90, processed: 90, percent: 100 * 180 / 450, changed: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(tt.at)
			f := newFixture(t, withGate(g))
			a := f.a
			upns := f.manyUsers(t, a, tt.users)
			body, _ := json.Marshal(map[string]any{"users": upns, "addLicenses": []map[string]string{{"skuId": skuE3}}, "dryRun": tt.dry})
			opPath := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", string(body), nil)
			g.wait(t)
			op := f.operation(t, a, callerLicense, opPath)
			close(g.open)
			if op.Status != OperationRunning || op.Processed != tt.processed || op.Total != len(upns) || op.PercentageProgress != tt.percent {
				t.Errorf("held operation -want +got\n-running %d/%d %d%%\n+%s %d/%d %d%%", tt.processed, len(upns), tt.percent, op.Status, op.Processed, op.Total, op.PercentageProgress)
			}
			op = f.awaitOperation(t, a, callerLicense, opPath)
			var res BulkResponse
			if resp := f.get(t, a, callerLicense, opPath+"/result"); op.Status != OperationSucceeded || op.Processed != op.Total || op.PercentageProgress != 100 ||
				resp.status != http.StatusOK || json.Unmarshal(resp.body, &res) != nil || res.Changed != tt.changed || res.Failed != tt.users-tt.changed {
				t.Errorf("ended operation -want +got\n-succeeded %d/%d 100%%, %d changed\n+%s %d/%d %d%%, %d %d changed %d failed", len(upns), len(upns), tt.changed,
					op.Status, op.Processed, op.Total, op.PercentageProgress, resp.status, res.Changed, res.Failed)
			}
		})
	}
}

// TestOperationBounds checks the bounds: the bulk budget (503), held by a
// running operation, and the operations a tenant keeps (429), each with
// Retry-After; an ended operation whose result was read makes room.
func TestOperationBounds(t *testing.T) {
	g := newGate(planning)
	f := newFixture(t, withGate(g), func(o *Options, _ *Services) {
		o.MaxBulkRequests, o.MaxOperations = 2, 1
	})
	a := f.a
	upns := f.manyUsers(t, a, 600)
	body, _ := json.Marshal(map[string]any{"users": upns, "addLicenses": []map[string]string{{"skuId": skuE3}}, "dryRun": true})
	small := `{"users":["` + upns[0] + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"dryRun":true}`
	post := func(caller string, b string) *response {
		return f.do(t, request{method: "POST", path: "/api/bulkAssignLicense", token: a.tokens[caller], body: []byte(b), header: asyncHeader})
	}
	opPath := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", string(body), nil)
	g.wait(t) // running, holding a slot of the budget
	tests := []struct {
		name       string
		caller     string
		fill       bool
		want       int
		retryAfter string
	}{
		{name: "tenant keeps its maximum", caller: callerGlobal, want: http.StatusTooManyRequests, retryAfter: "30"},
		{name: "budget spent", caller: callerGlobal, fill: true, want: http.StatusServiceUnavailable, retryAfter: "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fill { // the other slot, held by a request of the other tenant
				f.srv.limits.bulk <- struct{}{}
				defer func() { <-f.srv.limits.bulk }()
			}
			resp := post(tt.caller, small)
			if resp.status != tt.want || resp.header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("-want +got\n-%d Retry-After %s\n+%d Retry-After %s %s", tt.want, tt.retryAfter, resp.status, resp.header.Get("Retry-After"), resp.body)
			}
		})
	}
	close(g.open)
	f.awaitOperation(t, a, callerLicense, opPath)
	if resp := post(callerGlobal, small); resp.status != http.StatusTooManyRequests {
		t.Errorf("with the ended operation unread: -want +got\n-429\n+%d %s", resp.status, resp.body)
	}
	if resp := f.get(t, a, callerLicense, opPath+"/result"); resp.status != http.StatusOK {
		t.Fatalf("result: %d %s", resp.status, resp.body)
	}
	if resp := post(callerGlobal, small); resp.status != http.StatusAccepted {
		t.Errorf("with the ended operation read: -want +got\n-202\n+%d %s", resp.status, resp.body)
	} else { // ended before the test's directory is removed
		f.awaitOperation(t, a, callerGlobal, strings.TrimPrefix(resp.header.Get("Location"), "http://allot.test"))
	}
	if resp := f.get(t, a, callerLicense, opPath); resp.status != http.StatusNotFound {
		t.Errorf("the operation made room for another: -want +got\n-404\n+%d", resp.status)
	}
}

// hookImports is the store's import service with a hook called on each
// report of an import's progress.
type hookImports struct {
	allot.UserImportService
	hook func(allot.Progress)
}

// ImportUsers runs the import, calling the hook after each report.
func (h hookImports) ImportUsers(ctx context.Context, p allot.Principal, rows []allot.ImportRow, o allot.ImportOptions) ([]allot.ImportResult, error) {
	report := o.Progress
	o.Progress = func(pr allot.Progress) {
		if report != nil {
			report(pr)
		}
		h.hook(pr)
	}
	return h.UserImportService.ImportUsers(ctx, p, rows, o)
}

// TestOperationImportProgress checks that an import's progress advances
// through the planning and the writing, and counts the rows refused
// before the store as processed and done.
func TestOperationImportProgress(t *testing.T) {
	tests := []struct {
		name string
		at   func(allot.Progress) bool
		dry  bool
		// the held operation's
		processed, percent int
	}{
		// The store held at 500 of 1,200 rows planned, as if each were
		// then created and licensed (1 + 4 steps); the refused row is done.
		{name: "planning", at: planning, dry: true, processed: 501, percent: 100 * 501 / (1 + 1200*6)},
		// Held after the first 500 users are created: 1,200 created and
		// 50 licensed in four steps are the writing.
		{name: "writing", at: writing, processed: 1201, percent: 100 * (1 + 1200 + 500) / (1 + 1200 + 1200 + 50*4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(tt.at)
			f := newFixture(t, withImports, func(_ *Options, s *Services) {
				s.Imports = hookImports{UserImportService: s.Imports, hook: g.hook}
			})
			a := f.a
			var csv strings.Builder
			csv.WriteString("userPrincipalName,displayName,usageLocation,accountEnabled,licenses\nbad,Bad,US,true,\n")
			for i := range 1200 {
				sku := ""
				if i < 50 {
					sku = "SPE_E3"
				}
				fmt.Fprintf(&csv, "row%d@contoso.example,Row,US,true,%s\n", i, sku)
			}
			path := "/api/users/import"
			if tt.dry {
				path += "?dryRun=true"
			}
			opPath := f.startAsync(t, a, callerGlobal, path, csv.String(), map[string]string{"Content-Type": "text/csv"})
			g.wait(t)
			op := f.operation(t, a, callerGlobal, opPath)
			close(g.open)
			if op.Status != OperationRunning || op.Total != 1201 || op.Processed != tt.processed || op.PercentageProgress != tt.percent {
				t.Errorf("held import -want +got\n-running %d/1201 %d%%\n+%s %d/%d %d%%", tt.processed, tt.percent, op.Status, op.Processed, op.Total, op.PercentageProgress)
			}
			op = f.awaitOperation(t, a, callerGlobal, opPath)
			var res ImportResponse
			if resp := f.get(t, a, callerGlobal, opPath+"/result"); resp.status != http.StatusOK || json.Unmarshal(resp.body, &res) != nil ||
				op.Status != OperationSucceeded || op.PercentageProgress != 100 || res.Totals.Rows != 1201 || res.Totals.Refused != 1 ||
				res.Totals.Created != 1200 || res.Totals.LicensesAdded != 50 {
				t.Errorf("ended import -want +got\n-succeeded 100%%, 1201 rows: 1200 created, 50 licensed, 1 refused\n+%s %d%% %d %+v", op.Status, op.PercentageProgress, resp.status, res.Totals)
			}
		})
	}
}

// TestOperationCloseRemovesResults checks that closing the server removes
// the results it spooled, and that an operation still running then
// removes its own when it ends, so none outlives the process.
func TestOperationCloseRemovesResults(t *testing.T) {
	g := newGate(planning)
	f := newFixture(t, withGate(g))
	a := f.a
	spooled := func() []os.DirEntry {
		t.Helper()
		entries, err := os.ReadDir(f.srv.ops.dir)
		must(t, err)
		return entries
	}
	upns := f.manyUsers(t, a, 600)
	many, _ := json.Marshal(map[string]any{"users": upns, "addLicenses": []map[string]string{{"skuId": skuE3}}, "dryRun": true})
	one := `{"users":["` + upns[0] + `"],"addLicenses":[{"skuId":"` + skuE3 + `"}],"dryRun":true}` // never held: one user
	f.awaitOperation(t, a, callerLicense, f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", one, nil))
	if n := len(spooled()); n != 1 {
		t.Fatalf("after one operation ended, %d files spooled, want 1", n)
	}
	running := f.startAsync(t, a, callerLicense, "/api/bulkAssignLicense", string(many), nil)
	g.wait(t) // held while planning
	f.srv.Close()
	if got := spooled(); len(got) != 0 {
		t.Errorf("after Close, %d files left, want 0: %v", len(got), got)
	}
	if resp := f.get(t, a, callerLicense, running); resp.status != http.StatusNotFound {
		t.Errorf("the running operation after Close: -want +got\n-404\n+%d %s", resp.status, resp.body)
	}
	close(g.open)
	for i := 0; len(f.srv.limits.bulk) > 0; i++ { // the running operation ends, removing its result
		if i == 3000 {
			t.Fatal("the running operation did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := spooled(); len(got) != 0 {
		t.Errorf("after the running operation ended, %d files left, want 0: %v", len(got), got)
	}
}
