package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// TestBulkAssignLicense checks allot's bulk extension: per-user results,
// all-or-nothing refusals naming the user, dry runs that change nothing,
// and bad requests.
func TestBulkAssignLicense(t *testing.T) {
	f := newFixture(t)
	a := f.a
	u1, u2, u3 := f.freshUser(t, a), f.freshUser(t, a), f.freshUser(t, a)
	const path = "/api/bulkAssignLicense"
	exStd := `"addLicenses":[{"skuId":"` + skuExchangeStd + `"}]`

	t.Run("dry run", func(t *testing.T) {
		before := f.seatState(t, a, u1.ID, u2.ID)
		resp := f.send(t, a, callerLicense, "POST", path, `{"users":["`+u1.ID+`","`+u2.UserPrincipalName+`"],`+exStd+`,"dryRun":true}`)
		got := resp.object(t)
		if resp.status != http.StatusOK || got["changed"] != 1.0 || got["failed"] != 1.0 || got["dryRun"] != true {
			t.Fatalf("dry run: %d %s", resp.status, resp.body)
		}
		if d := diff(before, f.seatState(t, a, u1.ID, u2.ID)); d != "" {
			t.Errorf("a dry run changed state (-before +after):\n%s", d)
		}
		// What it would do to each user's data, and over all of them.
		var typed BulkResponse
		if err := json.Unmarshal(resp.body, &typed); err != nil {
			t.Fatalf("dry run answer: %v\n%s", err, resp.body)
		}
		if typed.Results[0].Data == nil || typed.Results[0].Data.Summary != "mailbox provisioned; no files; searchable from now" || typed.Results[1].Data != nil {
			t.Errorf("per-user data -want +got\n-[mailbox provisioned; no files; searchable from now, none for the refused user]\n+%s", resp.body)
		}
		if s := typed.DataSummary; s == nil || s.Users != 1 || s.MailboxesProvisioned != 1 || s.Summary != "1 users: 1 mailboxes provisioned" {
			t.Errorf("data summary -want +got\n-1 users: 1 mailboxes provisioned\n+%+v", s)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		before := f.seatState(t, a, u1.ID, u2.ID)
		resp := f.send(t, a, callerLicense, "POST", path, `{"users":["`+u1.ID+`","`+u2.UserPrincipalName+`"],`+exStd+`,"mode":"allOrNothing"}`)
		if resp.status != http.StatusBadRequest {
			t.Fatalf("status -want +got\n-400\n+%d %s", resp.status, resp.body)
		}
		e := resp.envelope(t)
		if len(e.Error.Details) != 1 || e.Error.Details[0].Target != u2.UserPrincipalName || e.Error.Details[0].Code != "CountViolation" {
			t.Errorf("details -want +got\n-[CountViolation on %s]\n+%+v", u2.UserPrincipalName, e.Error.Details)
		}
		if d := diff(before, f.seatState(t, a, u1.ID, u2.ID)); d != "" {
			t.Errorf("a refused all-or-nothing change changed state (-before +after):\n%s", d)
		}
	})
	t.Run("per user", func(t *testing.T) {
		body := `{"users":["` + u1.ID + `","` + u2.UserPrincipalName + `","nobody@contoso.example","` + u3.ID + `"],` +
			`"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":[]}],"removeLicenses":[],"mode":"perUser","skipUnchanged":true}`
		resp := f.send(t, a, callerUser, "POST", path, body)
		if resp.status != http.StatusOK {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		got := resp.object(t)
		results := got["results"].([]any)
		missing := results[2].(map[string]any)
		if got["changed"] != 3.0 || got["failed"] != 1.0 || len(results) != 4 ||
			missing["user"] != "nobody@contoso.example" || missing["error"].(map[string]any)["code"] != codeNotFound {
			t.Errorf("per-user results: %s", resp.body)
		}
		for _, u := range []string{u1.ID, u2.ID, u3.ID} {
			if held := f.licenses(t, a, u); !slices.Equal(held, []string{skuE3}) {
				t.Errorf("user %s holds %v, want E3", u, held)
			}
		}
	})
	tests := []struct {
		name, caller, body string
		wantStatus         int
		wantMsg            string
	}{
		{"no users", callerGlobal, `{"addLicenses":[{"skuId":"` + skuE3 + `"}]}`, 400, "'users' is missing"},
		{"empty users", callerGlobal, `{"users":[],"addLicenses":[{"skuId":"` + skuE3 + `"}]}`, 400, "'users' is empty"},
		{"users not strings", callerGlobal, `{"users":[1]}`, 400, "Edm.String"},
		{"no change", callerGlobal, `{"users":["` + u1.ID + `"]}`, 400, "No license changes provided."},
		{"bad mode", callerGlobal, `{"users":["` + u1.ID + `"],` + exStd + `,"mode":"yolo"}`, 400, "Invalid mode 'yolo'"},
		{"misspelt dryRun", callerGlobal, `{"users":["` + u1.ID + `"],` + exStd + `,"dry_run":true}`, 400, "'dry_run'"},
		{"dryRun not a bool", callerGlobal, `{"users":["` + u1.ID + `"],` + exStd + `,"dryRun":"yes"}`, 400, "Edm.Boolean"},
		{"bad GUID", callerGlobal, `{"users":["` + u1.ID + `"],"removeLicenses":["x"]}`, 400, "Edm.Guid"},
		{"billing admin", callerBilling, `{"users":["` + u1.ID + `"],` + exStd + `}`, 403, "Insufficient privileges"},
		{"no token", callerNone, `{}`, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.seatState(t, a, u1.ID)
			resp := f.send(t, a, tt.caller, "POST", path, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status -want +got\n-%d\n+%d %s", tt.wantStatus, resp.status, resp.body)
			}
			if e := resp.envelope(t); !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("message -want +got\n-…%s…\n+%s", tt.wantMsg, e.Error.Message)
			}
			if d := diff(before, f.seatState(t, a, u1.ID)); d != "" {
				t.Errorf("a refused request changed state (-before +after):\n%s", d)
			}
		})
	}
}

// TestDecodeBulkChange checks the typed decoding of the bulk body where
// the end-to-end test does not reach: names in any case, annotations,
// null members, properties given twice, and which refusal comes first.
func TestDecodeBulkChange(t *testing.T) {
	const g = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	add := `"addLicenses":[{"skuId":"` + strings.ToUpper(g) + `","disabledPlans":["` + g + `"]}]`
	e3 := allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: g, DisabledPlans: []string{g}}}}
	tests := []struct {
		name    string
		body    string
		want    allot.BulkLicenseChange
		wantErr string
	}{
		{"all members", `{"users":["a","b"],` + add + `,"removeLicenses":null,"mode":"allOrNothing","skipUnchanged":true,"dryRun":true}`,
			allot.BulkLicenseChange{Users: []string{"a", "b"}, Change: e3, AllOrNothing: true, SkipUnchanged: true, DryRun: true}, ""},
		{"PascalCase and annotations", `{"@odata.type":"#x","Users":["a"],"AddLicenses":[{"skuId":"` + g + `"}],"Mode":"perUser","users@odata.bind":1}`,
			allot.BulkLicenseChange{Users: []string{"a"}, Change: allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: g, DisabledPlans: []string{}}}}}, ""},
		{"null is absent", `{"users":["a"],"removeLicenses":["` + g + `"],"addLicenses":null,"mode":null,"dryRun":null}`,
			allot.BulkLicenseChange{Users: []string{"a"}, Change: allot.LicenseChange{Remove: []string{g}}}, ""},
		{"the later of two wins", `{"users":[1],"users":["a"],` + add + `}`, allot.BulkLicenseChange{Users: []string{"a"}, Change: e3}, ""},
		{"twice in two cases", `{"users":["a"],"USERS":["b"],` + add + `}`, allot.BulkLicenseChange{}, "The property 'users' is given more than once."},
		{"unknown before bad users", `{"users":[1],"zz":1,"aa":2}`, allot.BulkLicenseChange{}, "The property 'aa' does not exist on bulkAssignLicense."},
		{"users before mode", `{"mode":"yolo","users":[{}]}`, allot.BulkLicenseChange{},
			"A node of type 'StartObject' was read from the JSON reader when trying to read the contents of the property 'users'; however, a 'PrimitiveValue' node was expected."},
		{"users not an array", `{"users":"a"}`, allot.BulkLicenseChange{},
			"A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the property 'users'; however, a 'StartArray' node was expected."},
		{"skipUnchanged before dryRun", `{"users":["a"],` + add + `,"dryRun":1,"skipUnchanged":"x"}`, allot.BulkLicenseChange{},
			"Cannot convert the literal '\"x\"' to the expected type 'Edm.Boolean' of property 'skipUnchanged'."},
		{"blanks everywhere, a name escaped, a nested annotation", " {\n\t\"us\\u0065rs\" : [ \"a\" ,\"b\"\r] , \"x@odata.y\" : {\"z\":[1,\"}]\\\"\"]} ,\n" + add + " } ",
			allot.BulkLicenseChange{Users: []string{"a", "b"}, Change: e3}, ""},
		{"users with escapes", `{"users":["\u0061","b\\c",""],` + add + `}`, allot.BulkLicenseChange{Users: []string{"a", `b\c`, ""}, Change: e3}, ""},
		{"no users", `{"users":[ ],` + add + `}`, allot.BulkLicenseChange{}, "The parameter 'users' is empty: list at least one user."},
		{"not an object", `["a"]`, allot.BulkLicenseChange{}, "The request body must be a JSON object, not a JSON array."},
		{"not JSON", `{"users":`, allot.BulkLicenseChange{}, msgBadJSON + " (unexpected end of JSON input at offset 9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeBulkChange([]byte(tt.body))
			gotErr := ""
			if err != nil {
				gotErr = err.(*apiError).message
				got = allot.BulkLicenseChange{}
			}
			if !reflect.DeepEqual(got, tt.want) || gotErr != tt.wantErr {
				t.Errorf("decodeBulkChange(%s) (-want +got):\n-%+v %q\n+%+v %q", tt.body, tt.want, tt.wantErr, got, gotErr)
			}
		})
	}
}

// TestDecodeBulkChangeAllocs checks that a large body is decoded in one
// pass: about one allocation per user (its string), where decoding member
// by member took four.
func TestDecodeBulkChangeAllocs(t *testing.T) {
	const n = 10_000
	var b strings.Builder
	b.WriteString(`{"users":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"user%06d@contoso.example"`, i)
	}
	b.WriteString(`],"removeLicenses":["6fd2c87f-b296-42f0-b197-1e91e994b900"],"mode":"allOrNothing"}`)
	body := []byte(b.String())
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := decodeBulkChange(body); err != nil {
			t.Fatal(err)
		}
	})
	if perUser := allocs / n; perUser > 1.5 {
		t.Errorf("%.0f allocations for %d users (%.2f a user), want at most 1.5 a user", allocs, n, perUser)
	}
}
