package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

// testUserOrder pages through users in each allot.UserOrder, with and
// without a product and a name search, at several page sizes: every user
// once, in the order of (key, id), ties on the display name included.
func testUserOrder(t *testing.T, open Opener) {
	ctx := context.Background()
	f := NewFixture(t, open, 1)
	f.Subscribe(O365E5, 20)
	var mine []*allot.User
	for i, name := range []string{"Sam Lee", "sam lee", "Samantha Ray", "Ada Byron", "Sam Lee", "Zoe Kim", "Sam", "Émile Zola", "Bo"} {
		u := &allot.User{UserPrincipalName: fmt.Sprintf("%c%d@contoso.example", 'z'-i, i), DisplayName: name, UsageLocation: "US", AccountEnabled: true}
		must(t, f.S.CreateUser(ctx, f.Sys, u))
		if i%3 != 2 {
			f.Assign(u.ID, O365E5)
			u.Licenses = []allot.License{{SKUID: O365E5}}
		}
		mine = append(mine, u)
	}
	for _, o := range []allot.UserOrder{allot.UserOrderName, allot.UserOrderNameDesc, allot.UserOrderUPN, allot.UserOrderUPNDesc} {
		for _, fl := range []allot.UserFilter{{}, {SKUID: O365E5}, {NamePrefix: "sam"}, {SKUID: O365E5, NamePrefix: "SAM "}} {
			want := expectedOrder(mine, o, fl)
			for _, limit := range []int{1, 2, 100} {
				fl.Order, fl.Limit = o, limit
				got := pageAll(t, f, fl, mine)
				diff(t, fmt.Sprintf("order %q, sku %q, prefix %q, limit %d", o, fl.SKUID, fl.NamePrefix, limit), got, want)
			}
		}
	}
	_, _, err := f.S.FindUsers(ctx, f.Sys, allot.UserFilter{Order: "age"})
	wantCode(t, "unknown order", err, allot.EINVALID)
}

// pageAll lists the users fl selects a page at a time, keeping those of
// mine, by userPrincipalName.
func pageAll(t *testing.T, f *Fixture, fl allot.UserFilter, mine []*allot.User) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("%+v: paging does not end", fl)
		}
		users, more, err := f.S.FindUsers(context.Background(), f.Sys, fl)
		must(t, err)
		for _, u := range users {
			if slices.ContainsFunc(mine, func(m *allot.User) bool { return m.ID == u.ID }) {
				got = append(got, u.UserPrincipalName)
			}
		}
		if !more {
			return got
		}
		last := users[len(users)-1]
		fl.After, fl.AfterKey = last.ID, fl.Order.Key(last)
	}
}

// expectedOrder is what a listing of mine in order o selected by fl
// returns, computed in Go: (key, id) compared byte by byte.
func expectedOrder(mine []*allot.User, o allot.UserOrder, fl allot.UserFilter) []string {
	var sel []*allot.User
	for _, u := range mine {
		if fl.SKUID != "" && u.License(fl.SKUID) == nil {
			continue
		}
		if !strings.HasPrefix(strings.ToLower(u.DisplayName), strings.ToLower(fl.NamePrefix)) {
			continue
		}
		sel = append(sel, u)
	}
	slices.SortFunc(sel, func(a, b *allot.User) int {
		c := strings.Compare(o.Key(a), o.Key(b))
		if c == 0 {
			c = strings.Compare(strings.ToLower(a.ID), strings.ToLower(b.ID))
		}
		if o.Desc() {
			c = -c
		}
		return c
	})
	var out []string
	for _, u := range sel {
		out = append(out, u.UserPrincipalName)
	}
	return out
}
