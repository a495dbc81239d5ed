package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/allot-project/allot/graph"
)

// fakeOperations serves one operation that runs for two polls and then
// ends with result (an answer of status), or answers at once when sync.
func fakeOperations(t *testing.T, sync bool, status int, result any) (*Client, *[]string) {
	t.Helper()
	var got []string
	polls := 0
	const id = "0b7c5b1e-6f63-4c3e-9d47-6c0c5e8a1f00"
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Prefer"))
		op := graph.Operation{ID: id, Status: graph.OperationRunning, Processed: polls * 500, Total: 1000}
		switch r.URL.Path {
		case BulkPath, ImportPath:
			if sync {
				reply(w, status, result)
				return
			}
			op.Status = graph.OperationNotStarted
			w.Header().Set("Location", "http://"+r.Host+graph.OperationsPath+"/"+id)
			reply(w, http.StatusAccepted, op)
		case graph.OperationsPath + "/" + id:
			if polls++; polls > 2 {
				op.Status, op.Processed = graph.OperationSucceeded, 1000
				if status >= 400 {
					op.Status = graph.OperationFailed
				}
			}
			reply(w, http.StatusOK, op)
		case graph.OperationsPath + "/" + id + "/result":
			reply(w, status, result)
		}
	})
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c, &got
}

// TestBulkAssignLicenseAsync checks the operation's requests, the states
// told to progress, and the result or error of the synchronous call.
func TestBulkAssignLicenseAsync(t *testing.T) {
	ok := graph.BulkResponse{Results: []graph.BulkResult{{User: "b@x.example", Changed: true}}, Changed: 1}
	refused := map[string]any{"error": map[string]any{"code": "Request_BadRequest", "message": "No seat.",
		"details": []any{map[string]any{"code": "CountViolation", "message": "No seat.", "target": "b@x.example"}}}}
	async := []string{"POST /api/bulkAssignLicense respond-async", "GET /api/operations/0b7c5b1e-6f63-4c3e-9d47-6c0c5e8a1f00 ",
		"GET /api/operations/0b7c5b1e-6f63-4c3e-9d47-6c0c5e8a1f00 ", "GET /api/operations/0b7c5b1e-6f63-4c3e-9d47-6c0c5e8a1f00 ",
		"GET /api/operations/0b7c5b1e-6f63-4c3e-9d47-6c0c5e8a1f00/result "}
	tests := []struct {
		name         string
		sync         bool
		status       int
		result       any
		want         *graph.BulkResponse
		wantErr      string
		wantRequests []string
		wantStates   []string
	}{
		{name: "succeeded", status: 200, result: ok, want: &ok, wantRequests: async,
			wantStates: []string{"notStarted 0/1000", "running 0/1000", "running 500/1000", "succeeded 1000/1000"}},
		{name: "failed", status: 400, result: refused, wantErr: "CountViolation", wantRequests: async,
			wantStates: []string{"notStarted 0/1000", "running 0/1000", "running 500/1000", "failed 1000/1000"}},
		{name: "server ignores Prefer", sync: true, status: 200, result: ok, want: &ok,
			wantRequests: []string{"POST /api/bulkAssignLicense respond-async"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := fakeOperations(t, tt.sync, tt.status, tt.result)
			var states []string
			res, err := c.BulkAssignLicenseAsync(context.Background(), graph.BulkRequest{Users: []string{"b@x.example"}},
				func(op graph.Operation) {
					states = append(states, fmt.Sprintf("%s %d/%d", op.Status, op.Processed, op.Total))
				})
			var ce *Error
			switch {
			case tt.wantErr != "" && (!errors.As(err, &ce) || ce.Rule() != tt.wantErr):
				t.Errorf("error -want +got\n-%s\n+%v", tt.wantErr, err)
			case tt.wantErr == "" && (err != nil || !reflect.DeepEqual(res, tt.want)):
				t.Errorf("result -want +got\n-%+v\n+%+v %v", tt.want, res, err)
			}
			if !slices.Equal(*got, tt.wantRequests) {
				t.Errorf("requests -want +got\n-%q\n+%q", tt.wantRequests, *got)
			}
			if !slices.Equal(states, tt.wantStates) {
				t.Errorf("progress -want +got\n-%q\n+%q", tt.wantStates, states)
			}
		})
	}
}

// TestImportUsersAsync checks an import run as an operation.
func TestImportUsersAsync(t *testing.T) {
	want := graph.ImportResponse{Applied: true, Results: []graph.ImportResult{{Line: 2, UserPrincipalName: "n@x.example", Action: "create"}},
		Totals: graph.ImportTotals{Rows: 1, Created: 1}}
	c, got := fakeOperations(t, false, 200, want)
	res, err := c.ImportUsersAsync(context.Background(), []byte("userPrincipalName\nn@x.example\n"), ImportOptions{}, nil)
	if err != nil || !reflect.DeepEqual(res, &want) {
		t.Errorf("result -want +got\n-%+v\n+%+v %v", want, res, err)
	}
	if len(*got) != 5 || (*got)[0] != "POST /api/users/import respond-async" {
		t.Errorf("requests: %q", *got)
	}
}
