package graph

// This file holds the request and response bodies of allot's own
// endpoints, outside Graph's namespace, once: the server decodes and
// encodes them here, and allot's client package, the CLI and the
// benchmark send and read the same types.

// CheckRequest is one question of the license-check API: may User (an id
// or userPrincipalName) use ServicePlan (a servicePlanId or name)? GET
// /api/check takes it as the query parameters user and servicePlan.
type CheckRequest struct {
	User        string `json:"user"`
	ServicePlan string `json:"servicePlan"`
}

// CheckBatch is the body of POST /api/check: 1 to allot.MaxChecks checks.
type CheckBatch struct {
	Checks []CheckRequest `json:"checks"`
}

// CheckResult is one answer of the license-check API, the whole body of
// GET /api/check. Reason is Licensed, NoLicense, PlanDisabled,
// SubscriptionSuspended, SignInBlocked, UserDeleted, UserNotFound or
// UnknownServicePlan; SKUID is the product granting the plan, if any.
type CheckResult struct {
	User          string `json:"user"`
	UserID        string `json:"userId"`
	ServicePlanID string `json:"servicePlanId"`
	Licensed      bool   `json:"licensed"`
	SKUID         string `json:"skuId"`
	Reason        string `json:"reason"`
}

// CheckResults is the answer of POST /api/check, in the order of the
// checks.
type CheckResults struct {
	Results []CheckResult `json:"results"`
}

// Modes of a bulk license change.
const (
	// BulkPerUser changes each user, or refuses it, on its own.
	BulkPerUser = "perUser"
	// BulkAllOrNothing changes every user or, on one refusal, none.
	BulkAllOrNothing = "allOrNothing"
)

// MaxBulkUsers is the most users one BulkRequest may list; a longer list
// is refused with 400 naming the limit.
const MaxBulkUsers = 100_000

// BulkRequest is the body of POST /api/bulkAssignLicense: one license
// change applied to many users. Users are ids or userPrincipalNames; Mode
// is BulkPerUser (the default) or BulkAllOrNothing; SkipUnchanged counts
// the users already as asked as unchanged instead of rewriting them;
// DryRun checks everything and changes nothing.
type BulkRequest struct {
	Users          []string          `json:"users"`
	AddLicenses    []AssignedLicense `json:"addLicenses"`
	RemoveLicenses []string          `json:"removeLicenses"`
	Mode           string            `json:"mode"`
	SkipUnchanged  bool              `json:"skipUnchanged"`
	DryRun         bool              `json:"dryRun"`
}

// AssignedLicense is Graph's assignedLicense: a SKU to add, with the
// service plans to switch off.
type AssignedLicense struct {
	SKUID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

// BulkResponse is the answer of POST /api/bulkAssignLicense: one result
// per user, in the order given, and the counts.
type BulkResponse struct {
	Results   []BulkResult `json:"results"`
	Changed   int          `json:"changed"`
	Unchanged int          `json:"unchanged"`
	Failed    int          `json:"failed"`
	DryRun    bool         `json:"dryRun"`
	// DataSummary, in a dry run, counts what the change would do to the
	// users' data (allot.Summarize over the results' Data).
	DataSummary *DataSummaryInfo `json:"dataSummary,omitempty"`
}

// BulkResult is the outcome of a bulk change for one user: changed,
// unchanged, or refused with Error.
type BulkResult struct {
	User    string     `json:"user"`
	ID      string     `json:"id"`
	Changed bool       `json:"changed"`
	Error   *BulkError `json:"error"`
	// Data, in a dry run, is what the change would do to the user's data;
	// absent when it would change none.
	Data *DataImpactInfo `json:"data,omitempty"`
}

// BulkError is why a bulk change refused one user: Code is the licensing
// rule (CountViolation, …) or else the Graph error code; Target is the
// user as given.
type BulkError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target"`
}
