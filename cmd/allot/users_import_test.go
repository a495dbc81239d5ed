package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const csvHeader = "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\n"

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExportImportRoundTrip exports the demo tenant, imports the file back
// (dry run and for real: no change), then imports a changed copy.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	path := filepath.Join(t.TempDir(), "users.csv")
	if out := s.mustRun(t, "users", "export", path); out != "" {
		t.Errorf("export to a file printed %q", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	export := string(data)
	n := strings.Count(export, "\n") - 1
	if !strings.HasPrefix(export, csvHeader) || n < 10 || s.mustRun(t, "users", "export") != export {
		t.Fatalf("export: %d rows, stdout and file differ or no header:\n%s", n, export)
	}
	want := fmt.Sprintf("0 users created, 0 updated, %d unchanged, 0 rows refused; licenses: 0 added, 0 removed (dry run: nothing changed)\n", n)
	if got := s.run(t, "users", "import", "--dry-run", path); got != (result{0, want, ""}) {
		t.Errorf("dry run of an export:\nwant %q\n got %+v", want, got)
	}
	want = fmt.Sprintf("0 users created, 0 updated, %d unchanged, 0 rows refused; licenses: 0 added, 0 removed\n", n)
	if got := s.run(t, "users", "import", path); got != (result{0, want, ""}) {
		t.Errorf("import of an export:\nwant %q\n got %+v", want, got)
	}

	// alex loses Business Premium for Exchange Plan 1; a new user comes in from stdin.
	lines := strings.Split(export, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "alex@contoso.example,") {
			cells := strings.Split(l, ",")
			lines[i] = strings.Join(cells[:4], ",") + ",EXCHANGESTANDARD"
		}
	}
	body := strings.Join(lines, "\n") + "new@contoso.example,New Person,FR,true,SPB\n"
	r := runEnv(t, s.env(), body, "users", "import", "--dry-run", "-")
	for _, w := range []string{"update alex@contoso.example +EXCHANGESTANDARD -SPB\n", "create new@contoso.example +SPB\n",
		"1 user created, 1 updated,"} {
		if r.code != 0 || !strings.Contains(r.stdout, w) {
			t.Errorf("dry run of a changed file lacks %q: %+v", w, r)
		}
	}
	if got := s.mustRun(t, "users", "export"); got != export {
		t.Errorf("a dry run changed the tenant")
	}
	runEnv(t, s.env(), body, "users", "import", "-")
	if got := s.mustRun(t, "users", "show", "new@contoso.example"); !strings.Contains(got, "SPB") {
		t.Errorf("the imported user lacks its license:\n%s", got)
	}
}

// TestImportMalformed imports a file with bad rows: each is reported with
// its line, atomically nothing changes, otherwise the good rows apply.
func TestImportMalformed(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	path := writeFile(t, "bad.csv", csvHeader+
		"ok1@contoso.example,Ok One,FR,true,SPB\n"+
		"wrong@contoso.example,Wrong,FR,true\n"+
		"utf8@contoso.example,Bad \xff,FR,true,\n"+
		"sku@contoso.example,Sku,FR,true,SPB;NOSUCH\n"+
		"OK1@contoso.example,Again,FR,true,\n"+
		"flag@contoso.example,Flag,FR,maybe,\n")
	before := s.mustRun(t, "users", "export")
	wantErr := "line 3: wrong@contoso.example: The row has 4 fields; the header has 5.\n" +
		"line 4: utf8@contoso.example: Column displayName is not valid UTF-8.\n" +
		"line 5: sku@contoso.example: Unknown product \"NOSUCH\": name products by skuPartNumber (allot skus lists them).\n" +
		"line 6: OK1@contoso.example: User OK1@contoso.example is already on line 2; a file lists each user once.\n" +
		"line 7: flag@contoso.example: accountEnabled must be true or false, not \"maybe\".\n"
	got := s.run(t, "users", "import", "--atomic", path)
	want := result{1, "line 2: create ok1@contoso.example +SPB\n1 user created, 0 updated, 0 unchanged, 5 rows refused; licenses: 1 added, 0 removed (atomic: nothing changed because rows were refused)\n", wantErr}
	if got != want {
		t.Errorf("atomic import:\nwant %+v\n got %+v", want, got)
	}
	if s.mustRun(t, "users", "export") != before {
		t.Fatalf("a refused atomic import changed the tenant")
	}
	got = s.run(t, "users", "import", path)
	want.stdout = strings.TrimSuffix(want.stdout, " (atomic: nothing changed because rows were refused)\n") + "\n"
	if got != want {
		t.Errorf("import:\nwant %+v\n got %+v", want, got)
	}
	if !strings.Contains(s.mustRun(t, "users", "show", "ok1@contoso.example"), "SPB") {
		t.Errorf("the good row was not applied")
	}
	var big strings.Builder
	big.WriteString(csvHeader)
	for i := 0; i <= 10000; i++ {
		fmt.Fprintf(&big, "many%d@contoso.example,Many,FR,true,\n", i)
	}
	wantBig := result{1, "", "allot: --atomic imports at most 10000 rows in one transaction and this file has more: split it, or import without --atomic\n"}
	if got := s.run(t, "users", "import", "--atomic", writeFile(t, "big.csv", big.String())); got != wantBig {
		t.Errorf("atomic import of 10,001 rows:\nwant %+v\n got %+v", wantBig, got)
	}
	if got := s.run(t, "users", "show", "many0@contoso.example"); got.code != 1 {
		t.Errorf("an atomic import refused for its size created many0: %+v", got)
	}
	if got := s.run(t, "users", "import", writeFile(t, "h.csv", "userPrincipalName,mail\n")); got.code != 1 ||
		got.stderr != "allot: line 1: Unknown column \"mail\": the columns are userPrincipalName, displayName, usageLocation, accountEnabled, licenses.\n" {
		t.Errorf("wrong columns: %+v", got)
	}
}

// TestImportChunks imports a file of several chunks: lines are the file's,
// a user's second row is refused across chunks, and -o json is one
// document.
func TestImportChunks(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := 2; i <= 2501; i++ {
		switch i {
		case 1700:
			b.WriteString("\"quoted\nname@contoso.example\",Q,FR,true,\n") // lines 1700-1701
		case 2400:
			b.WriteString("bulk5@contoso.example,Dup,FR,true,\n") // line 2401; bulk5 is on line 5
		default:
			fmt.Fprintf(&b, "bulk%d@contoso.example,Bulk %d,FR,true,\n", i, i)
		}
	}
	got := s.run(t, "users", "import", "-o", "json", writeFile(t, "big.csv", b.String()))
	var doc struct {
		Applied bool `json:"applied"`
		Results []struct {
			Line   int    `json:"line"`
			Action string `json:"action"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
		Totals struct{ Rows, Created, Refused int } `json:"totals"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatalf("-o json is not one document: %v\n%+v", err, got)
	}
	var refused []string
	for _, r := range doc.Results {
		if r.Error != nil {
			refused = append(refused, fmt.Sprintf("%d: %s", r.Line, r.Error.Message))
		}
	}
	want := []string{"1700: Invalid value specified for property 'userPrincipalName' of resource 'User': \"quoted\\nname@contoso.example\" is not of the form name@domain.",
		"2401: User bulk5@contoso.example is already on line 5; a file lists each user once."}
	if got.code != 1 || !doc.Applied || doc.Totals.Rows != 2500 || doc.Totals.Created != 2498 || fmt.Sprint(refused) != fmt.Sprint(want) {
		t.Errorf("chunked import: code %d applied %v totals %+v\nrefused %q\nwant    %q", got.code, doc.Applied, doc.Totals, refused, want)
	}
	if last := doc.Results[len(doc.Results)-1]; last.Line != 2502 || last.Action != "create" {
		t.Errorf("last result %+v, want line 2502 created", last)
	}
}

// TestImportSendsChunks checks what the CLI sends: chunks of at most 1,000
// rows, each behind the header, with the line offset that makes the
// server's lines the file's, and a user's second row, caught across
// chunks, blanked out rather than sent.
func TestImportSendsChunks(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		reply(w, 200, map[string]any{"applied": true, "results": []any{}, "totals": map[string]int{}})
	})
	var b strings.Builder
	b.WriteString(csvHeader)
	for line := 2; line <= 2501; line++ {
		upn := fmt.Sprintf("u%d@contoso.example", line)
		if line == 1500 {
			upn = "u3@contoso.example"
		}
		fmt.Fprintf(&b, "%s,U,FR,true,\n", upn)
	}
	got := f.run(t, b.String(), "users", "import", "-")
	if got.code != 1 || !strings.Contains(got.stderr, "line 1500: u3@contoso.example: User u3@contoso.example is already on line 3; a file lists each user once.\n") {
		t.Errorf("the second row of u3 is not reported: %+v", got)
	}
	type sent struct {
		offset, lines, rows int
		contentType         string
	}
	var gotSent []sent
	for _, r := range f.requests() {
		body := string(r.body)
		if !strings.HasPrefix(body, csvHeader) || r.path != "/api/users/import" {
			t.Fatalf("request %s %s does not start with the header:\n%.200s", r.method, r.path, body)
		}
		n, _ := strconv.Atoi(r.query["lineOffset"])
		rows := len(strings.Fields(strings.TrimPrefix(body, csvHeader)))
		gotSent = append(gotSent, sent{n, strings.Count(body, "\n"), rows, r.header.Get("Content-Type")})
	}
	ct := "text/csv; charset=utf-8"
	want := []sent{{0, 1001, 1000, ct}, {1000, 1001, 999, ct}, {2000, 501, 500, ct}}
	if !reflect.DeepEqual(gotSent, want) {
		t.Errorf("chunks sent:\nwant %+v\n got %+v", want, gotSent)
	}
}

// TestExportRefused checks that a refused export is one line, and leaves
// no file behind.
func TestExportRefused(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
		graphErr(w, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	})
	path := filepath.Join(t.TempDir(), "users.csv")
	want := result{1, "", "allot: Insufficient privileges to complete the operation.\n"}
	if got := f.run(t, "", "users", "export", path); got != want {
		t.Errorf("refused export:\nwant %+v\n got %+v", want, got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused export left %s behind (%v)", path, err)
	}
	want = result{2, "", `{"error":{"code":"UsageError","message":"users export writes CSV, the format users import reads; --output json does not apply (users list -o json lists users as JSON)"}}` + "\n"}
	if got := f.run(t, "", "users", "export", "-o", "json"); got != want {
		t.Errorf("export -o json:\nwant %+v\n got %+v", want, got)
	}
}
