package allot_test

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// TestParseImportCSV checks a whole import file: rows kept, rows refused
// with their lines (after the offset), and files refused whole.
func TestParseImportCSV(t *testing.T) {
	c := allot.DemoCatalog()
	type refusal struct {
		Line int
		Code string
	}
	tests := []struct {
		name     string
		file     string
		offset   int
		rows     []string // userPrincipalNames kept, by line
		lines    []int
		refused  []refusal
		wantCode string // the whole file refused
		limit    int
	}{
		{"rows and refusals", "licenses,userPrincipalName,displayName,usageLocation,accountEnabled\n" +
			"SPB,ada@contoso.example,Ada,FR,true\n" +
			"NOPE,bob@contoso.example,Bob,FR,true\n" +
			",ADA@contoso.example,Ada again,FR,true\n" +
			"\"unclosed,cy@contoso.example,Cy,FR,true\n", 0,
			[]string{"ada@contoso.example"}, []int{2}, []refusal{{3, allot.EINVALIDLICENSE}, {4, allot.EINVALID}, {5, allot.EINVALID}}, "", 0},
		{"lines after the offset", strings.Join(allot.ImportColumns, ",") + "\nada@contoso.example,Ada,FR,true,\n", 100,
			[]string{"ada@contoso.example"}, []int{102}, nil, "", 0},
		{"no header", "", 0, nil, nil, nil, allot.EINVALID, 0},
		{"unknown column", "userPrincipalName,nope\n", 0, nil, nil, nil, allot.EINVALID, 0},
		{"too many rows", strings.Join(allot.ImportColumns, ",") + "\n" + strings.Repeat("a@contoso.example,A,FR,true,\n", allot.MaxImportRows+1), 0,
			nil, nil, nil, allot.EINVALID, allot.MaxImportRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, refused, err := allot.ParseImportCSV(c, strings.NewReader(tt.file), tt.offset)
			if code := allot.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if e, ok := err.(*allot.Error); ok && e.Limit != tt.limit {
				t.Errorf("Limit %d, want %d", e.Limit, tt.limit)
			}
			var upns []string
			var lines []int
			for _, r := range rows {
				upns, lines = append(upns, r.UserPrincipalName), append(lines, r.Line)
			}
			var got []refusal
			for _, r := range refused {
				got = append(got, refusal{r.Line, allot.ErrorCode(r.Err)})
			}
			if !reflect.DeepEqual(upns, tt.rows) || !reflect.DeepEqual(lines, tt.lines) || !reflect.DeepEqual(got, tt.refused) {
				t.Errorf("-want +got\n-%v %v %v\n+%v %v %v", tt.rows, tt.lines, tt.refused, upns, lines, got)
			}
		})
	}
}

// TestImportRecord checks that an exported user reads back as the same row.
func TestImportRecord(t *testing.T) {
	c := allot.DemoCatalog()
	u := &allot.User{UserPrincipalName: "ada@contoso.example", DisplayName: "Ada", UsageLocation: "FR", AccountEnabled: true,
		Licenses: []allot.License{{SKUID: skuPremium}, {SKUID: skuExStd}, {SKUID: "not-in-catalog"}}}
	rec := c.ImportRecord(u)
	want := []string{"ada@contoso.example", "Ada", "FR", "true", "EXCHANGESTANDARD;SPB;not-in-catalog"}
	if !reflect.DeepEqual(rec, want) {
		t.Fatalf("-want +got\n-%q\n+%q", want, rec)
	}
	u.Licenses = u.Licenses[:2]
	rows, refused, err := allot.ParseImportCSV(c, strings.NewReader(strings.Join(allot.ImportColumns, ",")+"\n"+strings.Join(c.ImportRecord(u), ",")+"\n"), 0)
	if err != nil || len(refused) != 0 || len(rows) != 1 {
		t.Fatalf("read back: %v %v %v", rows, refused, err)
	}
	if got := fmt.Sprint(rows[0].Licenses); got != fmt.Sprint([]string{skuExStd, skuPremium}) {
		t.Errorf("licenses read back %s", got)
	}
}

// pagedUsers is a UserService whose FindUsers serves pages of one user,
// failing from page fail on (0: never).
type pagedUsers struct {
	allot.UserService
	users []*allot.User
	fail  int
	calls int
}

func (s *pagedUsers) FindUsers(_ context.Context, _ allot.Principal, f allot.UserFilter) ([]*allot.User, bool, error) {
	s.calls++
	if s.fail > 0 && s.calls >= s.fail {
		return nil, false, &allot.Error{Code: allot.EFORBIDDEN, Message: "no"}
	}
	i := 0
	for i < len(s.users) && f.After != "" && s.users[i].ID <= f.After {
		i++
	}
	return s.users[i : i+1], i+1 < len(s.users), nil
}

// TestExportUsers checks the export's pages and its two kinds of failure:
// before anything is written (nothing sent) and after (cut short).
func TestExportUsers(t *testing.T) {
	c := allot.DemoCatalog()
	users := []*allot.User{{ID: "a", UserPrincipalName: "a@contoso.example"}, {ID: "b", UserPrincipalName: "b@contoso.example"}}
	for _, tt := range []struct {
		name        string
		fail        int
		started     bool
		wantErr     bool
		wantWritten string
	}{
		{"every page", 0, true, false, "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\na@contoso.example,,,false,\nb@contoso.example,,,false,\n"},
		{"refused at once", 1, false, true, ""},
		{"cut short", 2, true, true, "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\na@contoso.example,,,false,\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			began := false
			started, err := allot.ExportUsers(context.Background(), &pagedUsers{users: users, fail: tt.fail}, c, allot.Principal{}, func() io.Writer {
				began = true
				return &out
			})
			if started != tt.started || began != tt.started || (err != nil) != tt.wantErr || out.String() != tt.wantWritten {
				t.Errorf("started %v (began %v), err %v, wrote %q; want started %v, error %v, %q", started, began, err, out.String(), tt.started, tt.wantErr, tt.wantWritten)
			}
		})
	}
}
