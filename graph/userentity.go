package graph

import (
	"slices"
	"time"

	"github.com/allot-project/allot"
)

// userView is what a user is rendered from.
type userView struct {
	u    *allot.User
	c    *allot.Catalog
	data *allot.UserData // the mailbox and files, when provisionedPlans or assignedPlans is selected (loadData); else nil
}

// userDefaults is Graph's default property set of a user (graph-api.md
// §1.8).
var userDefaults = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

// userType renders microsoft.graph.user. Properties allot does not keep
// (phones, office, language) are rendered empty, as Graph renders unset
// ones; mail is the userPrincipalName.
var userType = &entityType[userView]{
	name: "microsoft.graph.user",
	props: map[string]func(userView) any{
		"businessPhones":          func(v userView) any { return []string{} },
		"displayName":             func(v userView) any { return v.u.DisplayName },
		"givenName":               func(v userView) any { return nullIfEmpty(v.u.GivenName) },
		"id":                      func(v userView) any { return v.u.ID },
		"jobTitle":                func(v userView) any { return nullIfEmpty(v.u.JobTitle) },
		"mail":                    func(v userView) any { return v.u.UserPrincipalName },
		"mobilePhone":             func(v userView) any { return nil },
		"officeLocation":          func(v userView) any { return nil },
		"preferredLanguage":       func(v userView) any { return nil },
		"surname":                 func(v userView) any { return nullIfEmpty(v.u.Surname) },
		"userPrincipalName":       func(v userView) any { return v.u.UserPrincipalName },
		"accountEnabled":          func(v userView) any { return v.u.AccountEnabled },
		"usageLocation":           func(v userView) any { return nullIfEmpty(v.u.UsageLocation) },
		"userType":                func(v userView) any { return "Member" },
		"createdDateTime":         func(v userView) any { return dateTime(v.u.CreatedAt) },
		"deletedDateTime":         func(v userView) any { return dateTime(v.u.DeletedAt) },
		"assignedLicenses":        func(v userView) any { return assignedLicenses(v.u) },
		"assignedPlans":           func(v userView) any { return assignedPlans(v) },
		"licenseAssignmentStates": func(v userView) any { return licenseAssignmentStates(v.u) },
		"provisionedPlans":        func(v userView) any { return provisionedPlans(v) },
	},
	defaults: userDefaults,
}

// deletedUserType renders a deleted user: a user that also shows its
// deletedDateTime by default.
var deletedUserType = &entityType[userView]{
	name:     userType.name,
	props:    userType.props,
	defaults: append(slices.Clip(userDefaults), "deletedDateTime"),
}

// usersType is deletedUserType for deleted users, else userType.
func usersType(deleted bool) *entityType[userView] {
	if deleted {
		return deletedUserType
	}
	return userType
}

// userView returns what u is rendered from.
func (s *Server) userView(u *allot.User) userView { return userView{u: u, c: s.catalog} }

// userViews returns what users are rendered from.
func (s *Server) userViews(users []*allot.User) []userView {
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = s.userView(u)
	}
	return out
}

// licenseProps are the user properties computed from its licenses, which
// FindUsers loads only when asked.
var licenseProps = []string{"assignedLicenses", "assignedPlans", "licenseAssignmentStates", "provisionedPlans"}

// needsLicenses reports whether rendering names needs the users' licenses.
func needsLicenses(names []string) bool {
	for _, n := range names {
		for _, l := range licenseProps {
			if n == l {
				return true
			}
		}
	}
	return false
}

// assignedLicense is Graph's assignedLicense.
type assignedLicense struct {
	DisabledPlans []string `json:"disabledPlans"`
	SKUID         string   `json:"skuId"`
}

func assignedLicenses(u *allot.User) []assignedLicense {
	out := make([]assignedLicense, 0, len(u.Licenses))
	for _, l := range u.Licenses {
		out = append(out, assignedLicense{DisabledPlans: nonNil(l.DisabledPlans), SKUID: l.SKUID})
	}
	return out
}

// assignedPlan is Graph's assignedPlan.
type assignedPlan struct {
	AssignedDateTime any    `json:"assignedDateTime"`
	CapabilityStatus string `json:"capabilityStatus"`
	Service          string `json:"service"`
	ServicePlanID    string `json:"servicePlanId"`
}

// assignedPlans lists each service plan the user's licenses enable, once,
// with the date of the first license that granted it, then the plans the
// user lost whose data is still kept (deletedPlans).
func assignedPlans(v userView) []assignedPlan {
	out := []assignedPlan{}
	seen := map[string]bool{}
	for _, l := range v.u.Licenses {
		sku := v.c.SKU(l.SKUID)
		if sku == nil {
			continue
		}
		for _, p := range sku.Plans {
			if seen[p.ID] || !l.PlanEnabled(sku, p.ID) {
				continue
			}
			seen[p.ID] = true
			out = append(out, assignedPlan{AssignedDateTime: dateTime(l.AssignedAt), CapabilityStatus: "Enabled", Service: p.Service, ServicePlanID: p.ID})
		}
	}
	return append(out, deletedPlans(v, seen)...)
}

// deletedPlans lists, as Graph does for the plans of removed licenses,
// with capabilityStatus "Deleted", the plan whose loss disconnected the
// user's mailbox while the mailbox is kept (disconnected or inactive) and
// the one whose loss left its files unlicensed while they are kept, each
// dated from when its data entered its state; a plan enabled again (in
// seen) shows only as Enabled.
func deletedPlans(v userView, seen map[string]bool) []assignedPlan {
	if v.data == nil {
		return nil
	}
	d := v.data
	var out []assignedPlan
	add := func(id string, since time.Time) {
		if p := v.c.ServicePlan(id); id != "" && p != nil && !seen[id] {
			seen[id] = true
			out = append(out, assignedPlan{AssignedDateTime: dateTime(since), CapabilityStatus: "Deleted", Service: p.Service, ServicePlanID: p.ID})
		}
	}
	if d.Mailbox == allot.MailboxDisconnected || d.Mailbox == allot.MailboxInactive {
		add(d.MailboxPlanID, d.MailboxSince)
	}
	if d.Files == allot.FilesActive || d.Files == allot.FilesPendingDeletion {
		add(d.FilesPlanID, d.FilesSince)
	}
	return out
}

// licenseAssignmentState is Graph's licenseAssignmentState. allot has only
// direct assignments, all active; error is "None" as real payloads show
// (graph-api.md §0.7).
type licenseAssignmentState struct {
	AssignedByGroup     *string  `json:"assignedByGroup"`
	DisabledPlans       []string `json:"disabledPlans"`
	Error               string   `json:"error"`
	LastUpdatedDateTime any      `json:"lastUpdatedDateTime"`
	SKUID               string   `json:"skuId"`
	State               string   `json:"state"`
}

func licenseAssignmentStates(u *allot.User) []licenseAssignmentState {
	out := make([]licenseAssignmentState, 0, len(u.Licenses))
	for _, l := range u.Licenses {
		out = append(out, licenseAssignmentState{DisabledPlans: nonNil(l.DisabledPlans), Error: "None",
			LastUpdatedDateTime: dateTime(l.AssignedAt), SKUID: l.SKUID, State: "Active"})
	}
	return out
}
