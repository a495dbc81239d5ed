package graph

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// withImports gives the server the store's import service.
func withImports(_ *Options, s *Services) { s.Imports = s.Users.(allot.UserImportService) }

// importCSV posts a CSV body to /api/users/import with a query.
func (f *fixture) importCSV(t *testing.T, tf *tenantFixture, caller, query, body string) (*response, ImportResponse) {
	t.Helper()
	resp := f.do(t, request{method: "POST", path: "/api/users/import" + query, token: tf.tokens[caller], body: []byte(body),
		header: map[string]string{"Content-Type": "text/csv"}})
	var out ImportResponse
	if resp.status == http.StatusOK {
		if err := json.Unmarshal(resp.body, &out); err != nil {
			t.Fatalf("import answer: %v\n%s", err, resp.body)
		}
	}
	return resp, out
}

// outcome is a result reduced to what the tests compare.
type outcome struct {
	Line   int
	Action string
	Code   string
}

func outcomesOf(r ImportResponse) []outcome {
	var out []outcome
	for _, res := range r.Results {
		o := outcome{Line: res.Line, Action: res.Action}
		if res.Error != nil {
			o.Code = res.Error.Code
		}
		out = append(out, o)
	}
	return out
}

const importHeader = "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\n"

// TestImportMalformed sends a file with every kind of bad row: each is
// reported on its line, and atomically nothing changes.
func TestImportMalformed(t *testing.T) {
	f := newFixture(t, withImports)
	a := f.a
	body := importHeader +
		"new1@contoso.example,New One,FR,true,SPE_E3\n" + // 2: fine
		"new2@contoso.example,Bad \xff UTF-8,FR,true,\n" + // 3
		"new3@contoso.example,Unknown SKU,FR,true,SPE_E3;NOPE\n" + // 4
		"NEW1@contoso.example,Twice,FR,true,\n" + // 5
		"new4@contoso.example,Bad flag,FR,yes,\n" + // 6
		"new5@contoso.example,Short\n" + // 7
		"new6@contoso.example,\"Bad \"quote,FR,true,\n" + // 8
		"new7@contoso.example,\"Multi\nline\",FR,true,\n" + // 9-10: no control characters in names
		"new8@contoso.example,\"King, Ada\",FR,true,EXCHANGESTANDARD\n" // 11: fine
	want := []outcome{{2, "create", ""}, {3, "", codeBadRequest}, {4, "", "InvalidLicense"}, {5, "", codeBadRequest},
		{6, "", codeBadRequest}, {7, "", codeBadRequest}, {8, "", codeBadRequest}, {9, "", codeBadRequest}, {11, "create", ""}}
	before := f.consumed(t, a, skuE3)
	resp, got := f.importCSV(t, a, callerUser, "?atomic=true", body)
	if resp.status != http.StatusOK || got.Applied || got.Totals.Refused != 7 {
		t.Fatalf("atomic import: %d applied=%v totals=%+v", resp.status, got.Applied, got.Totals)
	}
	if !reflect.DeepEqual(outcomesOf(got), want) {
		t.Errorf("atomic results:\nwant %v\n got %v", want, outcomesOf(got))
	}
	if f.consumed(t, a, skuE3) != before || f.get(t, a, callerGlobal, "/v1.0/users/new1@contoso.example").status != http.StatusNotFound {
		t.Fatalf("a refused atomic import changed something")
	}
	resp, got = f.importCSV(t, a, callerUser, "?lineOffset=100", body)
	for i := range want {
		want[i].Line += 100
	}
	if resp.status != http.StatusOK || !got.Applied || !reflect.DeepEqual(outcomesOf(got), want) {
		t.Fatalf("import by rows: %d applied=%v\nwant %v\n got %v", resp.status, got.Applied, want, outcomesOf(got))
	}
	if got.Results[0].LicensesAdded[0] != "SPE_E3" || f.consumed(t, a, skuE3) != before+1 {
		t.Errorf("the good row's license: %+v, consumed %d, want SPE_E3 taken", got.Results[0], f.consumed(t, a, skuE3))
	}
}

// TestImportRefused checks the answers that refuse a whole import.
func TestImportRefused(t *testing.T) {
	f := newFixture(t, withImports)
	tests := []struct {
		name, caller, query, body string
		status                    int
	}{
		{"reader", callerReader, "", importHeader, http.StatusForbidden},
		{"billing", callerBilling, "", importHeader, http.StatusForbidden},
		{"no header", callerGlobal, "", "", http.StatusBadRequest},
		{"missing column", callerGlobal, "", "userPrincipalName,displayName\n", http.StatusBadRequest},
		{"bad dryRun", callerGlobal, "?dryRun=maybe", importHeader, http.StatusBadRequest},
		{"too many rows", callerGlobal, "", importHeader + strings.Repeat("a@contoso.example,A,FR,true,\n", allot.MaxImportRows+1), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := f.importCSV(t, f.a, tt.caller, tt.query, tt.body)
			if resp.status != tt.status {
				t.Errorf("status -want +got\n-%d\n+%d %s", tt.status, resp.status, resp.body)
			}
		})
	}
}

// TestExportReimport exports the tenant and imports it back: nothing to
// change, and the export lists each user once with its products.
func TestExportReimport(t *testing.T) {
	f := newFixture(t, withImports)
	a := f.a
	u := f.freshUser(t, a)
	f.send(t, a, callerGlobal, "POST", "/v1.0/users/"+u.ID+"/assignLicense", `{"addLicenses":[{"skuId":"`+skuE3+`"},{"skuId":"`+skuArchive+`"}],"removeLicenses":[]}`)
	resp := f.get(t, a, callerReader, "/api/users/export")
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %s", resp.status, resp.body)
	}
	csv := string(resp.body)
	if !strings.HasPrefix(csv, importHeader) || !strings.Contains(csv, u.UserPrincipalName+",Fresh"+strings.TrimPrefix(u.DisplayName, "Fresh")+",US,true,EXCHANGEARCHIVE_ADDON;SPE_E3\n") {
		t.Errorf("export lacks %s with its two products:\n%s", u.UserPrincipalName, csv)
	}
	if strings.Contains(csv, "fabrikam") {
		t.Errorf("export shows another tenant's users")
	}
	_, got := f.importCSV(t, a, callerGlobal, "?dryRun=true", csv)
	if want := strings.Count(csv, "\n") - 1; got.Totals != (ImportTotals{Rows: want, Unchanged: want}) {
		t.Errorf("re-import of an export: totals %+v, want %d rows unchanged", got.Totals, want)
	}
	if resp := f.get(t, a, callerOrdinary, "/api/users/export"); resp.status != http.StatusForbidden {
		t.Errorf("an ordinary user exports: %d", resp.status)
	}
}
