package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// End-to-end tests of "allot license" against "allot serve --demo"; see
// e2e_test.go for the harness.

func TestUnassignOne(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const upn = "adele@contoso.example"
	want := result{0, "unassigned Microsoft 365 Business Premium from " + upn + "\n", ""}
	if got := s.run(t, "license", "unassign", "--sku", "SPB", "--user", upn); got != want {
		t.Fatalf("license unassign:\nwant %+v\ngot  %+v", want, got)
	}
	show := s.mustRun(t, "users", "show", upn)
	if strings.Contains(show, "SPB") || !regexp.MustCompile(`(?m)^Licenses:\s+none$`).MatchString(show) {
		t.Errorf("users show still lists Business Premium:\n%s", show)
	}
	if re := skuRow("Microsoft 365 Business Premium", "SPB", "13", "10", "3"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus does not show one more Business Premium available (%s)", re)
	}
	// Unassigning again is not a failure: there is nothing left to do.
	want = result{0, upn + " does not hold Microsoft 365 Business Premium: unchanged\n", ""}
	if got := s.run(t, "license", "unassign", "--sku", "SPB", "--user", upn); got != want {
		t.Errorf("second license unassign:\nwant %+v\ngot  %+v", want, got)
	}
}

func TestAssignOne(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const upn = "christie@contoso.example"
	want := result{0, "assigned Office 365 E3 to " + upn + "\n", ""}
	if got := s.run(t, "license", "assign", "--sku", "ENTERPRISEPACK", "--user", upn, "--disable-plan", "YAMMER_ENTERPRISE"); got != want {
		t.Fatalf("license assign:\nwant %+v\ngot  %+v", want, got)
	}
	show := s.mustRun(t, "users", "show", upn)
	if !regexp.MustCompile(`(?m)^\s+Office 365 E3\s+ENTERPRISEPACK\s+YAMMER_ENTERPRISE$`).MatchString(show) {
		t.Errorf("users show lacks E3 with Viva Engage disabled:\n%s", show)
	}
}

func TestAssignWithoutUsageLocation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	want := result{1, "", "allot: irvin@contoso.example: License assignment cannot be done for user with invalid usage location.\n"}
	if got := s.run(t, "license", "assign", "--sku", "SPB", "--user", "irvin@contoso.example"); got != want {
		t.Errorf("license assign:\nwant %+v\ngot  %+v", want, got)
	}
}

// short are three users without a license, one more than the 2 Business
// Premium licenses left, and adele, who holds one already.
var short = []string{"christie@contoso.example", "debra@contoso.example", "lynne@contoso.example", "adele@contoso.example"}

// userArgs returns --user flags for users.
func userArgs(users []string) []string {
	var args []string
	for _, u := range users {
		args = append(args, "--user", u)
	}
	return args
}

// spbHolders returns the users of short holding Business Premium.
func spbHolders(t *testing.T, s *testServer) []string {
	t.Helper()
	var got []string
	for _, u := range column(s.mustRun(t, "users", "list", "--sku", "SPB")) {
		if slices.Contains(short, u) {
			got = append(got, u)
		}
	}
	return got
}

var seatFailure = regexp.MustCompile(`^allot: (christie|debra|lynne)@contoso\.example: Subscription with SKU Microsoft 365 Business Premium \(SPB\) does not have any available licenses\.$`)

func TestAssignMany(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.run(t, append([]string{"license", "assign", "--sku", "SPB"}, userArgs(short)...)...)
	if r.code != 1 {
		t.Errorf("exit %d, want 1 since a user got no license", r.code)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !seatFailure.MatchString(lines[0]) {
		t.Errorf("stderr: want one line about the user short of a seat (%s), got:\n%s", seatFailure, r.stderr)
	}
	want := "assigned Microsoft 365 Business Premium to 2 users; 1 unchanged (already had it); 1 failed\n"
	if r.stdout != want {
		t.Errorf("stdout:\nwant %q\ngot  %q", want, r.stdout)
	}
	if got := spbHolders(t, s); len(got) != 3 {
		t.Errorf("after the assign, %v hold Business Premium; want adele and two others", got)
	}
	if re := skuRow("Microsoft 365 Business Premium", "SPB", "13", "13", "0"); !re.MatchString(s.mustRun(t, "skus")) {
		t.Errorf("skus does not show every Business Premium assigned (%s)", re)
	}
}

func TestAssignAtomic(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.run(t, append([]string{"license", "assign", "--sku", "SPB", "--atomic"}, userArgs(short)...)...)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !seatFailure.MatchString(lines[0]) {
		t.Errorf("stderr: want one line about the user short of a seat (%s), got:\n%s", seatFailure, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "nothing assigned: --atomic refused the whole change") {
		t.Errorf("stdout: want the refusal summary, got %q", r.stdout)
	}
	if got := spbHolders(t, s); !slices.Equal(got, []string{"adele@contoso.example"}) {
		t.Errorf("after a refused --atomic assign, %v hold Business Premium; want adele alone", got)
	}
}

func TestAssignDryRun(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	before := s.mustRun(t, "skus")
	r := s.run(t, "license", "assign", "--sku", "SPB", "--dry-run", "--user", "christie@contoso.example", "--user", "adele@contoso.example")
	want := result{0, "USER                      OUTCOME\n" +
		"christie@contoso.example  would assign\n" +
		"adele@contoso.example     unchanged (already has it)\n" +
		"dry run, nothing changed: would assign Microsoft 365 Business Premium to 1 user; 1 unchanged (already has it)\n" +
		"USER                      DATA\n" +
		"christie@contoso.example  mailbox provisioned; files provisioned; searchable from now\n" +
		"data: 1 users: 1 mailboxes provisioned\n", ""}
	if r != want {
		t.Errorf("license assign --dry-run:\nwant %+v\ngot  %+v", want, r)
	}
	if after := s.mustRun(t, "skus"); after != before {
		t.Errorf("a dry run changed the counts:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := spbHolders(t, s); !slices.Equal(got, []string{"adele@contoso.example"}) {
		t.Errorf("after a dry run, %v hold Business Premium; want adele alone", got)
	}
}

func TestUnassignManyFromFile(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	file := filepath.Join(t.TempDir(), "leavers.csv")
	csv := "\ufeffDisplay name,User principal name\n# leavers of the week\nAdele Vance,adele@contoso.example\nAlex Wilber,alex@contoso.example\nChristie Cline,christie@contoso.example\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	want := result{0, "unassigned Microsoft 365 Business Premium from 2 users; 1 unchanged (did not have it)\n", ""}
	if got := s.run(t, "license", "unassign", "--sku", "SPB", "--users-from", file); got != want {
		t.Errorf("license unassign --users-from:\nwant %+v\ngot  %+v", want, got)
	}
	// From standard input, again: now nobody holds it, and that is fine.
	r := runEnv(t, s.env(), "adele@contoso.example\n\n# done\nalex@contoso.example\n", "license", "unassign", "--sku", "SPB", "--users-from", "-")
	want = result{0, "unassigned Microsoft 365 Business Premium from 0 users; 2 unchanged (did not have it)\n", ""}
	if r != want {
		t.Errorf("license unassign --users-from -:\nwant %+v\ngot  %+v", want, r)
	}
}

// TestCustomCatalog runs the client commands against a server started
// with its own --catalog, where SPB is sold as SPB_CUSTOM and Viva Engage
// is the plan VIVA_ENGAGE_CUSTOM: the CLI must learn those names from the
// server, not from the catalog built into it.
func TestCustomCatalog(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	custom := strings.NewReplacer(`"partNumber": "SPB"`, `"partNumber": "SPB_CUSTOM"`, `"YAMMER_ENTERPRISE"`, `"VIVA_ENGAGE_CUSTOM"`).Replace(string(data))
	if custom == string(data) || !strings.Contains(custom, "SPB_CUSTOM") {
		t.Fatal("catalog.json changed: the test no longer renames SPB and YAMMER_ENTERPRISE")
	}
	file := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(file, []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--catalog", file)
	const upn = "christie@contoso.example"
	spbHolders := strings.Join(demoUPNs(holds(allot.DemoCatalog().SKUByPartNumber("SPB").ID)), "\n")
	plansOmitted := func(_ *testing.T, r result) result { // the list of plans is long
		r.stderr, _, _ = strings.Cut(r.stderr, "whose plans are ")
		return r
	}
	upnsOnly := func(t *testing.T, r result) result {
		r.stdout = strings.Join(jsonUPNs(t, r.stdout), "\n")
		return r
	}
	tests := []struct {
		name  string
		args  []string
		clean func(*testing.T, result) result // keeps what the test is about
		want  result
	}{
		{"assign with a plan named by the server", []string{"license", "assign", "--sku", "ENTERPRISEPACK", "--user", upn, "--disable-plan", "viva_engage_custom"},
			nil, result{0, "assigned Office 365 E3 to " + upn + "\n", ""}},
		{"the built-in plan name is unknown there", []string{"license", "assign", "--sku", "ENTERPRISEPACK", "--user", upn, "--disable-plan", "YAMMER_ENTERPRISE"},
			plansOmitted, result{1, "", "allot: service plan \"YAMMER_ENTERPRISE\" is not part of ENTERPRISEPACK, "}},
		{"list by the server's part number", []string{"users", "list", "--sku", "SPB_CUSTOM", "-o", "json"}, upnsOnly, result{0, spbHolders, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.run(t, tt.args...)
			if tt.clean != nil {
				got = tt.clean(t, got)
			}
			if got != tt.want {
				t.Errorf("allot %s (-want +got):\n-%+v\n+%+v", strings.Join(tt.args, " "), tt.want, got)
			}
		})
	}
}

// jsonUPNs returns the sorted userPrincipalNames of a JSON list of users.
func jsonUPNs(t *testing.T, out string) []string {
	t.Helper()
	var users []struct {
		UPN string `json:"userPrincipalName"`
	}
	if err := json.Unmarshal([]byte(out), &users); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var upns []string
	for _, u := range users {
		upns = append(upns, u.UPN)
	}
	slices.Sort(upns)
	return upns
}

// TestSeveralSKUs changes two products at once, and reads an unchanged
// product the same way for one user as the summary of many does.
func TestSeveralSKUs(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const upn = "adele@contoso.example"
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"one held, one not", []string{"license", "unassign", "--sku", "SPB", "--sku", "ENTERPRISEPACK", "--user", upn},
			result{0, "unassigned Microsoft 365 Business Premium from " + upn + "; " + upn + " does not hold Office 365 E3: unchanged\n", ""}},
		{"none held", []string{"license", "unassign", "--sku", "SPB", "--sku", "ENTERPRISEPACK", "--user", upn},
			result{0, upn + " does not hold Microsoft 365 Business Premium and Office 365 E3: unchanged\n", ""}},
		{"assign", []string{"license", "assign", "--sku", "SPB", "--user", upn},
			result{0, "assigned Microsoft 365 Business Premium to " + upn + "\n", ""}},
		{"assign again", []string{"license", "assign", "--sku", "SPB", "--user", upn},
			result{0, upn + " already has Microsoft 365 Business Premium: unchanged\n", ""}},
		{"the same product twice", []string{"license", "assign", "--sku", "SPB", "--sku", "spb", "--user", upn},
			result{0, upn + " already has Microsoft 365 Business Premium: unchanged\n", ""}},
		{"other plans disabled change it", []string{"license", "assign", "--sku", "SPB", "--user", upn, "--disable-plan", "TEAMS1"},
			result{0, "assigned Microsoft 365 Business Premium to " + upn + "\n", ""}},
		{"a plan of neither product", []string{"license", "assign", "--sku", "SPB", "--sku", "ENTERPRISEPACK", "--user", upn, "--disable-plan", "NOPE"},
			result{1, "", `allot: service plan "NOPE" is not part of Microsoft 365 Business Premium and Office 365 E3` + "\n"}},
	}
	for _, tt := range tests {
		if got := s.run(t, tt.args...); got != tt.want {
			t.Errorf("%s: allot %s\nwant %+v\ngot  %+v", tt.name, strings.Join(tt.args, " "), tt.want, got)
		}
	}
	// Many users: the bulk summary names both products and says unchanged.
	out := s.mustRun(t, "license", "unassign", "--sku", "SPB", "--sku", "ENTERPRISEPACK", "--user", upn, "--user", "irvin@contoso.example")
	if want := "unassigned Microsoft 365 Business Premium and Office 365 E3 from 1 user; 1 unchanged (did not have it)\n"; out != want {
		t.Errorf("bulk unassign of two products:\nwant %q\ngot  %q", want, out)
	}
}

// TestOneUserUnreadable changes one user whom the caller may not read, as
// the purchaser of a self-service subscription assigns its seats: the
// change is sent whole and the server's answer decides.
func TestOneUserUnreadable(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		write func(w http.ResponseWriter)
		want  result
	}{
		{"assigned", []string{"license", "assign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", "b@x.example"},
			func(w http.ResponseWriter) { reply(w, 200, userJSON("b@x.example")) },
			result{0, "assigned Microsoft 365 Business Basic to b@x.example\n", ""}},
		{"not held", []string{"license", "unassign", "--sku", "O365_BUSINESS_ESSENTIALS", "--user", "b@x.example"},
			func(w http.ResponseWriter) {
				graphErr(w, 400, "Request_BadRequest", "User does not have a corresponding license.",
					map[string]string{"code": "LicenseNotHeld", "message": "User does not have a corresponding license.", "target": "b@x.example"})
			},
			result{0, "b@x.example does not hold Microsoft 365 Business Basic: unchanged\n", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, func(w http.ResponseWriter, r *recorded) {
				if r.method == "GET" {
					graphErr(w, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
					return
				}
				tt.write(w)
			})
			if got := f.run(t, "", tt.args...); got != tt.want {
				t.Errorf("allot %s\nwant %+v\ngot  %+v", strings.Join(tt.args, " "), tt.want, got)
			}
			if reqs := f.requests(); len(reqs) != 2 || reqs[1].method != "POST" {
				t.Errorf("requests: want the read refused, then the change sent; got %d", len(reqs))
			}
		})
	}
}
