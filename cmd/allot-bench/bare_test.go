package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
	"github.com/allot-project/allot/internal/loadgen"
)

func TestBareHandler(t *testing.T) {
	h := bareHandler(map[string]string{"u1": "sku1"})
	tests := []struct {
		name, url string
		want      graph.CheckResult
	}{
		{"check, known user", "/api/check?user=u1&servicePlan=p", graph.CheckResult{User: "u1", UserID: "u1", ServicePlanID: "p", SKUID: "sku1", Licensed: true, Reason: allot.ReasonLicensed}},
		{"check, unknown user", "/api/check?user=u2&servicePlan=p", graph.CheckResult{User: "u2", ServicePlanID: "p", Reason: allot.ReasonNoLicense}},
		{"user path", "/v1.0/users/u1/licenseDetails", graph.CheckResult{User: "u1", UserID: "u1", SKUID: "sku1", Licensed: true, Reason: allot.ReasonLicensed}},
		{"no user", "/v1.0/subscribedSkus", graph.CheckResult{Reason: allot.ReasonNoLicense}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.url, nil))
			var got graph.CheckResult
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
				t.Fatalf("%d %q: %v", w.Code, w.Body, err)
			}
			if got != tt.want {
				t.Errorf("(-want +got)\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestReadBareMap(t *testing.T) {
	m, err := readBareMap(strings.NewReader("a x\nb y\n"))
	if err != nil || len(m) != 2 || m["a"] != "x" || m["b"] != "y" {
		t.Errorf("readBareMap = %v, %v; want a→x, b→y", m, err)
	}
	if _, err := readBareMap(strings.NewReader("a\n")); err == nil {
		t.Error("a line without a value was accepted")
	}
}

// TestBareProcess checks that the bare handler runs in a process of its
// own and answers from the data set's users.
func TestBareProcess(t *testing.T) {
	env := &benchEnv{c: &benchCommand{stderr: io.Discard}, d: generateBench(benchSmokeSize(500), false)}
	defer env.close()
	base, err := env.bare(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pid := env.bareP.cmd.Process.Pid; pid == os.Getpid() {
		t.Fatalf("the bare handler runs in the bench's process %d", pid)
	}
	u := &env.d.users[7]
	resp, err := http.Get(base + "/api/check?user=" + u.id() + "&servicePlan=x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got graph.CheckResult
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := env.d.skuIDs[u.skus[0]]; !got.Licensed || got.SKUID != want {
		t.Errorf("user 7: %+v, want licensed by %s", got, want)
	}
}

func TestBenchReadAnswer(t *testing.T) {
	tests := []struct {
		name, kind, body, want string
	}{
		{"user", "user", `{"id":"ABC","userPrincipalName":"a@x"}`, "abc a@x"},
		{"licenseDetails sorted", "licenseDetails", `{"value":[{"skuId":"B"},{"skuId":"a"}]}`, "a b"},
		{"no licenses", "licenseDetails", `{"value":[]}`, ""},
		{"unused SKUs left out", "subscribedSkus", `{"value":[{"skuId":"S2","consumedUnits":3},{"skuId":"s1","consumedUnits":0}]}`, "s2=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := benchReadAnswer(tt.kind, []byte(tt.body))
			if err != nil || got != tt.want {
				t.Errorf("benchReadAnswer = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := benchReadAnswer("user", []byte("not json")); err == nil {
		t.Error("a body that is not JSON was accepted")
	}
}

// TestBenchPageOp checks W13's operation against pages that are right,
// wrong (the sign-in form) and failing.
func TestBenchPageOp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/users":
			w.Write([]byte("<td>u0000001@big.bench.example</td>"))
		case "/licenses":
			w.Write([]byte(`<form action="/signin">`))
		default:
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := loadgen.NewClient(1, nil)
	defer c.Close()
	tests := []struct {
		name    string
		page    benchPage
		wantErr string
	}{
		{"the page", benchPage{"users", "/users", "u0000001@big.bench.example"}, ""},
		{"the sign-in form", benchPage{"licenses", "/licenses", "Bench Product 000"}, "does not show"},
		{"an error", benchPage{"x", "/x", "y"}, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := benchPageOp(c, srv.URL, tt.page)(context.Background(), nil)
			if got := fmt.Sprint(err); tt.wantErr == "" && err != nil || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestBenchMeasured(t *testing.T) {
	r := &benchResult{}
	if benchMeasured(r, &loadgen.Result{Ops: 0}) || !strings.Contains(r.Notes, "no request completed") {
		t.Errorf("a window without requests counts as measured; notes %q", r.Notes)
	}
	if !benchMeasured(&benchResult{}, &loadgen.Result{Ops: 1}) {
		t.Error("a window with a request counts as unmeasured")
	}
}

// TestWaitLoaded checks that a server still loading its index is waited
// for, and one that never finishes is reported.
func TestWaitLoaded(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("never") != "" || calls.Add(1) <= 3 {
			w.Write([]byte("ok, index loading"))
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := loadgen.NewClient(1, nil)
	defer c.Close()
	p := &benchProc{base: srv.URL, start: time.Now(), done: make(chan struct{})}
	if _, err := p.waitLoaded(context.Background(), c, 5*time.Second); err != nil || calls.Load() != 4 {
		t.Errorf("waitLoaded: %v after %d calls, want nil after 4", err, calls.Load())
	}
	never := &benchProc{base: srv.URL, start: time.Now(), done: make(chan struct{}), logs: &benchTail{}}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok, index loading")) })
	if _, err := never.waitLoaded(context.Background(), c, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "index loading") {
		t.Errorf("waitLoaded on a server that never loads: %v, want a timeout naming its last answer", err)
	}
}
