package allot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AssignedLicense names a SKU to assign and the service plans of it that
// are switched off for the user (Graph's assignedLicense).
type AssignedLicense struct {
	SKUID         string
	DisabledPlans []string // servicePlanIds of the SKU
}

// License is a SKU a user holds.
type License struct {
	SKUID          string
	DisabledPlans  []string // sorted, lower case
	SubscriptionID string   // the self-service subscription whose seat it takes; "" for the admin pool
	AssignedAt     time.Time
}

// Pool returns the seat pool the license takes a seat from.
func (l License) Pool() string { return l.SubscriptionID }

// PlanEnabled reports whether the license grants plan planID to its user.
func (l License) PlanEnabled(sku *SKU, planID string) bool {
	return sku != nil && sku.HasPlan(planID) && !slices.Contains(l.DisabledPlans, planID)
}

// LicenseChange adds and removes SKUs for one user in one atomic operation
// (Graph's assignLicense). Adding a SKU the user already holds replaces its
// disabled plans with the ones given.
type LicenseChange struct {
	Add    []AssignedLicense
	Remove []string // skuIds
}

// LicensePlan is the outcome of PlanLicenseChange: the rows a store must
// write. Every Add takes a seat of its pool; every Remove frees one.
type LicensePlan struct {
	Add    []License
	Update []License // held SKUs whose disabled plans change
	Remove []License
	Before []License
	After  []License
}

// Empty reports whether the plan changes nothing (a re-add with the same
// disabled plans).
func (lp *LicensePlan) Empty() bool { return len(lp.Add)+len(lp.Update)+len(lp.Remove) == 0 }

// Messages shared with Graph, which clients and scripts match on.
const (
	msgNoChanges     = "No license changes provided. At least one license to add or remove must be specified."
	msgUsageLocation = "License assignment cannot be done for user with invalid usage location."
	msgNotHeld       = "User does not have a corresponding license."
)

// PlanLicenseChange applies every assignment rule to a change for user u
// and returns the rows to write, or the first rule the change breaks.
// pools holds, per skuId, the tenant's seat pools of every SKU the change
// names or the user holds; a SKU without pools is not owned by the tenant.
// Seat counts are not checked here: the store takes seats atomically and
// returns ECOUNTVIOLATION when a pool is full.
func PlanLicenseChange(c *Catalog, p Principal, u *User, pools map[string][]SeatPool, ch LicenseChange, now time.Time) (*LicensePlan, error) {
	if err := AuthorizeLicenseChange(p, pools); err != nil {
		return nil, err
	}
	if u == nil || u.Deleted() {
		return nil, Errorf(ENOTFOUND, "User does not exist.")
	}
	ch, err := ch.Normalize()
	if err != nil {
		return nil, err
	}
	plan := &LicensePlan{Before: u.Licenses}
	// The licenses the user keeps, in its order, as the change leaves
	// them: searched in place, since a user holds a few, and on the stack
	// for up to four (docs/performance.md, wave 15).
	var keep [4]License
	held := append(keep[:0], u.Licenses...)
	for _, id := range ch.Remove {
		i := licenseIndex(held, id)
		if i < 0 {
			return nil, &Error{Code: ELICENSENOTHELD, Message: msgNotHeld, SKUID: id, UserID: u.ID}
		}
		l := held[i]
		if err := mayTouchPool(p, u, c.SKU(id), l.SubscriptionID, pools[id]); err != nil {
			return nil, err
		}
		plan.Remove = append(plan.Remove, l)
		held = slices.Delete(held, i, i+1)
	}
	for _, a := range ch.Add {
		if err := planAdd(c, p, u, pools[a.SKUID], held, a, now, plan); err != nil {
			return nil, err
		}
	}
	if n := len(held) + len(plan.Add); n > 0 {
		plan.After = append(append(make([]License, 0, n), held...), plan.Add...)
	}
	if err := c.CheckLicenses(plan.After); err != nil {
		err.(*Error).UserID = u.ID
		return nil, err
	}
	return plan, nil
}

// AuthorizeLicenseChange lets administrators through, and ordinary users
// who purchased one of the pools involved (self-service purchasers assign
// their own subscription's seats); pools are those of the SKUs the change
// names. It returns EFORBIDDEN for everyone else.
func AuthorizeLicenseChange(p Principal, pools map[string][]SeatPool) error {
	if p.Can(ActionAssignLicenses) {
		return nil
	}
	for _, ps := range pools {
		for _, sp := range ps {
			if sp.SubscriptionID != "" && p.UserID != "" && sp.PurchasedBy == p.UserID {
				return nil
			}
		}
	}
	return Authorize(p, ActionAssignLicenses)
}

// MaxChangeSKUs is the most SKUs one license change may name, added and
// removed together: far more than any catalog holds, few enough that the
// store looks their seat pools up in one statement.
const MaxChangeSKUs = 1000

// Normalize returns the change with its GUIDs in lower case, in new slices,
// or EINVALID when it is empty, names more than MaxChangeSKUs SKUs or a
// malformed id, lists a SKU twice or both adds and removes one. Stores call it before using the change's SKU
// list, so that a request naming one SKU thousands of times is refused
// before it reaches the database.
func (ch LicenseChange) Normalize() (LicenseChange, error) {
	if len(ch.Add) == 0 && len(ch.Remove) == 0 {
		return ch, Errorf(EINVALID, msgNoChanges)
	}
	out := LicenseChange{Add: make([]AssignedLicense, len(ch.Add)), Remove: make([]string, len(ch.Remove))}
	seen := make(map[string]bool, len(ch.Add)+len(ch.Remove))
	for i, a := range ch.Add {
		a.SKUID = strings.ToLower(a.SKUID)
		switch {
		case !IsGUID(a.SKUID):
			return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("Invalid skuId %q: it is not a GUID.", a.SKUID), Field: "addLicenses", Value: a.SKUID}
		case seen[a.SKUID]:
			return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("SKU %s is listed twice in addLicenses.", a.SKUID), Field: "addLicenses", SKUID: a.SKUID}
		}
		seen[a.SKUID] = true
		out.Add[i] = a
	}
	removed := make(map[string]bool, len(ch.Remove))
	for i, id := range ch.Remove {
		id = strings.ToLower(id)
		switch {
		case !IsGUID(id):
			return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("Invalid skuId %q in removeLicenses: it is not a GUID.", id), Field: "removeLicenses", Value: id}
		case seen[id]:
			return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("SKU %s is both added and removed in one request; send two requests.", id), Field: "removeLicenses", SKUID: id}
		case removed[id]:
			return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("SKU %s is listed twice in removeLicenses.", id), Field: "removeLicenses", SKUID: id}
		}
		removed[id] = true
		out.Remove[i] = id
	}
	if n := len(out.Add) + len(out.Remove); n > MaxChangeSKUs {
		return ch, &Error{Code: EINVALID, Message: fmt.Sprintf("A license change names %d SKUs; at most %d are allowed.", n, MaxChangeSKUs),
			Count: n, Limit: MaxChangeSKUs}
	}
	return out, nil
}

// SKUs returns the skuIds a change names, added ones first. Normalize the
// change first.
func (ch LicenseChange) SKUs() []string {
	skus := make([]string, 0, len(ch.Add)+len(ch.Remove))
	for _, a := range ch.Add {
		skus = append(skus, a.SKUID)
	}
	return append(skus, ch.Remove...)
}

// Names reports whether ch adds, changes or removes the SKU.
func (ch LicenseChange) Names(skuID string) bool {
	return slices.Contains(ch.Remove, skuID) || slices.ContainsFunc(ch.Add, func(a AssignedLicense) bool { return a.SKUID == skuID })
}

// SkipUnchanged returns the change without the removals of SKUs u does not
// hold (BulkLicenseChange.SkipUnchanged), and false when nothing is left to
// do for u. ch must be normalized.
func SkipUnchanged(u *User, ch LicenseChange) (LicenseChange, bool) {
	keep := ch.Remove[:0:0]
	for _, id := range ch.Remove {
		if u.License(id) != nil {
			keep = append(keep, id)
		}
	}
	ch.Remove = keep
	return ch, len(ch.Add)+len(ch.Remove) > 0
}

// planAdd adds one AssignedLicense to the plan: a new license from the pool
// the principal may use, or new disabled plans for a SKU already held.
func planAdd(c *Catalog, p Principal, u *User, pools []SeatPool, held []License, a AssignedLicense, now time.Time, plan *LicensePlan) error {
	sku := c.SKU(a.SKUID)
	if sku == nil || len(pools) == 0 || sku.AppliesTo != "User" {
		return &Error{Code: EINVALIDLICENSE, Message: fmt.Sprintf("License %s does not correspond to a valid company License.", a.SKUID), SKUID: a.SKUID}
	}
	if u.UsageLocation == "" {
		return &Error{Code: EUSAGELOCATION, Message: msgUsageLocation, UserID: u.ID, SKUID: a.SKUID, Field: "usageLocation"}
	}
	disabled, err := normalizeDisabled(sku, a.DisabledPlans)
	if err != nil {
		return err
	}
	if i := licenseIndex(held, a.SKUID); i >= 0 {
		l := held[i]
		if err := mayTouchPool(p, u, sku, l.SubscriptionID, pools); err != nil {
			return err
		}
		if !slices.Equal(l.DisabledPlans, disabled) {
			l.DisabledPlans = disabled
			plan.Update = append(plan.Update, l)
			held[i] = l
		}
		return nil
	}
	pool, err := choosePool(p, u, sku, pools)
	if err != nil {
		return err
	}
	plan.Add = append(plan.Add, License{SKUID: a.SKUID, DisabledPlans: disabled, SubscriptionID: pool, AssignedAt: now})
	return nil
}

// licenseIndex returns the position of the license of skuID in ls, or -1.
func licenseIndex(ls []License, skuID string) int {
	return slices.IndexFunc(ls, func(l License) bool { return l.SKUID == skuID })
}

// normalizeDisabled lower-cases, de-duplicates and sorts disabled plans,
// refusing ids that are not GUIDs or not plans of the SKU.
func normalizeDisabled(sku *SKU, plans []string) ([]string, error) {
	out := make([]string, 0, len(plans))
	for _, id := range plans {
		id = strings.ToLower(id)
		if !IsGUID(id) {
			return nil, &Error{Code: EINVALID, Message: fmt.Sprintf("Invalid disabled plan %q: it is not a GUID.", id), SKUID: sku.ID, Field: "disabledPlans", Value: id}
		}
		if !sku.HasPlan(id) {
			return nil, &Error{Code: EINVALIDDISABLEPLAN, Message: fmt.Sprintf("Service plan %s is not part of %s, so it cannot be disabled.", id, sku.PartNumber), SKUID: sku.ID, PlanID: id}
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// choosePool picks the pool a new license takes its seat from:
// administrators use the admin-managed pool, a self-service purchaser
// their own subscription.
func choosePool(p Principal, u *User, sku *SKU, pools []SeatPool) (string, error) {
	if p.Can(ActionAssignLicenses) {
		for _, sp := range pools {
			if sp.SubscriptionID == "" {
				return "", nil
			}
		}
		return "", selfServiceError(sku, u, pools[0].SubscriptionID)
	}
	for _, sp := range pools {
		if sp.SubscriptionID != "" && sp.PurchasedBy == p.UserID {
			return sp.SubscriptionID, nil
		}
	}
	return "", Authorize(p, ActionAssignLicenses)
}

// mayTouchPool refuses administrators a self-service pool and purchasers any
// pool but their own.
func mayTouchPool(p Principal, u *User, sku *SKU, pool string, pools []SeatPool) error {
	if pool == "" {
		return Authorize(p, ActionAssignLicenses)
	}
	for _, sp := range pools {
		if sp.SubscriptionID == pool && sp.PurchasedBy == p.UserID && p.UserID != "" {
			return nil
		}
	}
	if p.Can(ActionAssignLicenses) && !p.System {
		return selfServiceError(sku, u, pool)
	}
	if p.System {
		return nil
	}
	return Authorize(p, ActionAssignLicenses)
}

// selfServiceError refuses an administrator the seats of the self-service
// subscription pool.
func selfServiceError(sku *SKU, u *User, pool string) error {
	e := &Error{Code: ESELFSERVICE, UserID: u.ID, SubscriptionID: pool}
	name := "this product"
	if sku != nil {
		name, e.SKUID = sku.DisplayName.EN, sku.ID
	}
	e.Message = fmt.Sprintf("The license of %s comes from a self-service purchase made by a user; administrators cannot assign or unassign its licenses. Take over the subscription first, then assign or unassign its licenses.", name)
	return e
}

// CheckLicenses returns EMUTUALLYEXCLUSIVE or EDEPENDENCY when a user
// holding ls would break a catalog rule. Disabled plans do not count. The
// error's Plans names the service plans involved: the conflicting ones, or
// the dependent plan followed by those it may depend on.
func (c *Catalog) CheckLicenses(ls []License) error {
	var enabled map[string]string // plan name -> SKU part number granting it; only plans a rule names
	for _, l := range ls {
		sku := c.SKU(l.SKUID)
		if sku == nil {
			continue
		}
		for _, i := range sku.ruled {
			if pl := sku.Plans[i]; !slices.Contains(l.DisabledPlans, pl.ID) {
				if enabled == nil {
					enabled = map[string]string{}
				}
				enabled[pl.Name] = sku.PartNumber
			}
		}
	}
	for _, r := range c.Rules.MutuallyExclusive {
		var got, names []string
		for _, n := range r.Plans {
			if part, ok := enabled[n]; ok {
				got, names = append(got, n+" (from "+part+")"), append(names, n)
			}
		}
		if len(got) > 1 {
			return &Error{Code: EMUTUALLYEXCLUSIVE, Plans: names,
				Message: fmt.Sprintf("Service plans %s are mutually exclusive. %s Disable one of them or remove one license.", strings.Join(got, " and "), r.Reason)}
		}
	}
	for _, r := range c.Rules.Dependencies {
		part, ok := enabled[r.Plan]
		if !ok || slices.ContainsFunc(r.RequiresAny, func(n string) bool { _, ok := enabled[n]; return ok }) {
			continue
		}
		return &Error{Code: EDEPENDENCY, Plans: append([]string{r.Plan}, r.RequiresAny...),
			Message: fmt.Sprintf("Service plan %s of %s depends on one of the service plans %s, which the user would not have.", r.Plan, part, strings.Join(r.RequiresAny, ", "))}
	}
	return nil
}

// BulkLicenseChange applies one change to many users.
type BulkLicenseChange struct {
	Users        []string // ids or userPrincipalNames, any number
	Change       LicenseChange
	AllOrNothing bool // true: one refusal refuses all; false: each user succeeds or fails alone
	// SkipUnchanged makes the operation idempotent: removing a SKU a user
	// does not hold, or adding one held with the same disabled plans, counts
	// as done instead of failing with ELICENSENOTHELD.
	SkipUnchanged bool
	// DryRun evaluates the change for every user and reports the results
	// without writing anything.
	DryRun bool
	// Progress, when not nil, is told as the change advances (Progress:
	// users planned, then the writing); it must return quickly and must
	// not call the store.
	Progress func(Progress)
}

// BulkResult is the outcome for one user of a bulk change.
type BulkResult struct {
	User    string // as given in BulkLicenseChange.Users
	UserID  string // "" when the user was not found
	Changed bool   // false when nothing needed doing or the change failed
	Err     error  // nil on success; an *Error otherwise
	// Data is, in a dry run, what the change would do to the user's data
	// (NextUserData, as the change applies it); nil when it changes none.
	Data *DataImpact
}

// LicenseService assigns and unassigns licenses.
type LicenseService interface {
	// AssignLicenses applies a change to one user atomically and returns the
	// user with its licenses. Needs ActionAssignLicenses, or a self-service
	// purchase of the SKUs involved. Returns ENOTFOUND, EINVALID,
	// EINVALIDLICENSE, EUSAGELOCATION, EINVALIDDISABLEPLAN,
	// ELICENSENOTHELD, ESELFSERVICE, EMUTUALLYEXCLUSIVE, EDEPENDENCY or
	// ECOUNTVIOLATION; a refused change changes nothing.
	AssignLicenses(ctx context.Context, p Principal, idOrUPN string, ch LicenseChange) (*User, error)
	// AssignLicensesBulk applies one change to many users in one
	// transaction. Needs ActionAssignLicenses, or a self-service purchase
	// of the SKUs involved (AuthorizeLicenseChange, decided from the SKUs'
	// seat pools before any user is read); the change is normalized before
	// it is used.
	// With AllOrNothing, the first refusal is returned as the
	// error and nothing changes; otherwise each user's result says what
	// happened to it and the error is only for failures of the whole. A
	// user listed twice gets the result of its first mention.
	AssignLicensesBulk(ctx context.Context, p Principal, b BulkLicenseChange) ([]BulkResult, error)
}
