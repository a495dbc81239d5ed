package web

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/demo"
)

// TestProductSort checks a product's users sorted by name (the default)
// or userPrincipalName either way, the headings' links and aria-sort, and
// an unknown order refused.
func TestProductSort(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(demo.AdminUPN)
	holders, _, err := f.db.FindUsers(context.Background(), f.sysUser, allot.UserFilter{SKUID: demo.SKUBusinessPremium, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byName := slices.Clone(holders)
	slices.SortFunc(byName, func(a, b *allot.User) int {
		return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
	})
	var names, upns []string
	for _, u := range byName {
		names = append(names, u.UserPrincipalName)
	}
	for _, u := range holders {
		upns = append(upns, u.UserPrincipalName)
	}
	slices.Sort(upns)
	desc := slices.Clone(upns)
	slices.Reverse(desc)
	rows := regexp.MustCompile(`<td class="hide-narrow">([^<]*)</td>`)
	tests := []struct {
		name, query string
		want        []string
		aria        string // the headings' aria-sort, name then UPN
		link        string // the name heading's link
	}{
		{"default by name", "", names, `aria-sort="ascending"><a href="?sort=-name">`, `aria-sort="none"><a href="?sort=upn">`},
		{"by UPN descending", "?sort=-upn", desc, `aria-sort="none"><a href="?sort=name">`, `aria-sort="descending"><a href="?sort=upn">`},
		{"by UPN", "?sort=upn", upns, `aria-sort="none"><a href="?sort=name">`, `aria-sort="ascending"><a href="?sort=-upn">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.get("/licenses/" + demo.SKUBusinessPremium + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("status %d", res.status)
			}
			var got []string
			for _, m := range rows.FindAllStringSubmatch(res.body, -1) {
				got = append(got, m[1])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order (-want +got):\n-%q\n+%q", tt.want, got)
			}
			for _, w := range []string{tt.aria, tt.link} {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
		})
	}
	bad := b.get("/licenses/" + demo.SKUBusinessPremium + "?sort=age")
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.text(), "This list cannot be sorted that way.") {
		t.Errorf("unknown order: %d\n%s", bad.status, bad.text())
	}
}
