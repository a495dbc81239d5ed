package graph

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/allot-project/allot"
)

// This file serves the audit log as Graph's directoryAudit resources
// (GET /v1.0/auditLogs/directoryAudits and /{id}).
//
// Decisions:
//   - id is the event's number, as a string.
//   - result is always "success" and loggedByService "Core Directory":
//     allot records changes that committed, nothing else.
//   - initiatedBy is {user:{id,userPrincipalName}} for a user, or
//     {app:{displayName,servicePrincipalId}} for an application acting
//     with its own token and for allot's own jobs and the operator (whose
//     servicePrincipalId is empty); the other member is null.
//   - a user target has type "User"; a product concerned (license and
//     subscription events) is a second target of type "Product" whose id is
//     the skuId, so targetResources/any(t: t/id eq '<skuId>') selects the
//     events about a product; other targets are "Subscription",
//     "AccessToken" or "Company".
//   - modifiedProperties lists the properties whose values differ between
//     before and after, each value JSON-encoded in a string as Graph does
//     (null when absent).
//   - a bulk change is one directoryAudit per action and product with its
//     users as targets, the first allot.MaxAuditSubjects of them by id;
//     additionalDetails' targetCount says how many there are in all.
//     Filtered on one user, it shows that user's part alone.
//   - additionalDetails' channel says how the change came (API, CLI, UI,
//     System).

func (s *Server) registerAuditRoutes() {
	s.route("GET /v1.0/auditLogs/directoryAudits", s.listAudits)
	s.route("GET /v1.0/auditLogs/directoryAudits/{id}", s.getAudit)
}

// DirectoryAudit is Graph's directoryAudit: one change of the audit log.
type DirectoryAudit struct {
	ID                  string             `json:"id"`
	Category            string             `json:"category"`
	CorrelationID       string             `json:"correlationId"`
	Result              string             `json:"result"`
	ResultReason        string             `json:"resultReason"`
	ActivityDisplayName string             `json:"activityDisplayName"`
	ActivityDateTime    string             `json:"activityDateTime"`
	LoggedByService     string             `json:"loggedByService"`
	OperationType       string             `json:"operationType"`
	InitiatedBy         AuditActivityActor `json:"initiatedBy"`
	TargetResources     []TargetResource   `json:"targetResources"`
	AdditionalDetails   []KeyValue         `json:"additionalDetails"`
}

// AuditActivityActor is Graph's auditActivityInitiator: a user or an
// application, the other nil.
type AuditActivityActor struct {
	User *UserIdentity `json:"user"`
	App  *AppIdentity  `json:"app"`
}

// UserIdentity is the user who made a change.
type UserIdentity struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// AppIdentity is the application (or allot itself) that made a change.
type AppIdentity struct {
	DisplayName        string `json:"displayName"`
	ServicePrincipalID string `json:"servicePrincipalId"`
}

// TargetResource is an object a change touched.
type TargetResource struct {
	ID                 string             `json:"id"`
	DisplayName        string             `json:"displayName"`
	Type               string             `json:"type"`
	UserPrincipalName  string             `json:"userPrincipalName"`
	ModifiedProperties []ModifiedProperty `json:"modifiedProperties"`
}

// ModifiedProperty is one property a change modified; the values are
// JSON documents in strings, nil when absent.
type ModifiedProperty struct {
	DisplayName string  `json:"displayName"`
	OldValue    *string `json:"oldValue"`
	NewValue    *string `json:"newValue"`
}

// KeyValue is one of a directoryAudit's additionalDetails.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// listAudits answers the audit log, newest first: $top events (default
// 100) with @odata.nextLink when more follow, filtered by $filter.
func (s *Server) listAudits(w http.ResponseWriter, r *http.Request) error {
	// Who may read is decided first, so that a caller who may not learns
	// nothing of the query options either.
	if err := allot.Authorize(principalFrom(r), allot.ActionReadAudit); err != nil {
		return err
	}
	before, rest, err := auditSkipToken(r)
	if err != nil {
		return err
	}
	q, err := parseQueryOptions(rest, optFilter|optTop)
	if err != nil {
		return err
	}
	var f allot.AuditFilter
	if q.hasFilter {
		if err := s.parseAuditFilter(q.filter, &f); err != nil {
			return err
		}
	}
	f.BeforeID, f.Limit = before, q.top+1 // one more tells whether a next page exists
	events, err := s.svc.Audit.FindAuditEvents(r.Context(), principalFrom(r), f)
	if err != nil {
		return err
	}
	body := map[string]any{"@odata.context": contextURL(r, "auditLogs/directoryAudits")}
	if len(events) > q.top {
		events = events[:q.top]
		body["@odata.nextLink"] = nextLinkToken(r, encodeAuditToken(events[len(events)-1].ID))
	}
	views := make([]DirectoryAudit, len(events))
	for i, e := range events {
		views[i] = s.directoryAudit(e)
	}
	body["value"] = views
	return writeJSON(w, http.StatusOK, body)
}

// getAudit answers one event by id.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQueryOptions(r, 0); err != nil {
		return err
	}
	id := r.PathValue("id")
	n, err := strconv.ParseInt(id, 10, 64)
	var events []*allot.AuditEvent
	if err == nil && n > 0 {
		events, err = s.svc.Audit.FindAuditEvents(r.Context(), principalFrom(r), allot.AuditFilter{ID: n, Limit: 1})
		if err != nil {
			return err
		}
	} else if err := allot.Authorize(principalFrom(r), allot.ActionReadAudit); err != nil {
		return err
	}
	if len(events) == 0 {
		return &allot.Error{Code: allot.ENOTFOUND, Field: "id", Value: truncate(id, 40),
			Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", truncate(id, 40))}
	}
	body := map[string]any{"@odata.context": contextURL(r, "auditLogs/directoryAudits/$entity")}
	raw, err := json.Marshal(s.directoryAudit(events[0]))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, body)
}

// auditTokenPrefix versions the audit log's $skiptoken.
const auditTokenPrefix = "a1:"

// encodeAuditToken makes the $skiptoken of the page after event last: an
// unsigned keyset cursor within the caller's tenant, like the users'.
func encodeAuditToken(last int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(auditTokenPrefix + strconv.FormatInt(last, 10)))
}

// auditSkipToken reads the $skiptoken of an audit listing and returns the
// request without it, for parseQueryOptions.
func auditSkipToken(r *http.Request) (int64, *http.Request, error) {
	var tokens, kept []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, "$skiptoken") {
			v, _ := url.QueryUnescape(value)
			tokens = append(tokens, v)
			continue
		}
		kept = append(kept, part)
	}
	if len(tokens) == 0 {
		return 0, r, nil
	}
	if len(tokens) > 1 {
		return 0, nil, badRequest("Query option '$skiptoken' was specified more than once, but it must be specified at most once.")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tokens[0], "="))
	n, perr := strconv.ParseInt(strings.TrimPrefix(string(b), auditTokenPrefix), 10, 64)
	if err != nil || perr != nil || n <= 0 || !bytes.HasPrefix(b, []byte(auditTokenPrefix)) {
		return 0, nil, badRequest("The $skiptoken is invalid: follow the @odata.nextLink of the previous page unchanged.")
	}
	rest := r.Clone(r.Context())
	rest.URL.RawQuery = strings.Join(kept, "&")
	return n, rest, nil
}

// directoryAudit renders an event.
func (s *Server) directoryAudit(e *allot.AuditEvent) DirectoryAudit {
	act := allot.Activity(e.Action)
	d := DirectoryAudit{ID: strconv.FormatInt(e.ID, 10), Category: act.Category, CorrelationID: "", Result: "success",
		ActivityDisplayName: act.DisplayName, ActivityDateTime: e.At.UTC().Format(dateTimeFormat), LoggedByService: "Core Directory",
		OperationType: act.OperationType, InitiatedBy: initiator(e), TargetResources: []TargetResource{},
		AdditionalDetails: []KeyValue{{"channel", string(e.Via)}}}
	switch {
	case e.TargetType == "users" && e.TargetID == "":
		for _, sub := range e.Subjects {
			d.TargetResources = append(d.TargetResources, TargetResource{ID: sub.UserID, DisplayName: sub.Name, Type: "User",
				UserPrincipalName: sub.UPN, ModifiedProperties: modifiedProperties(sub.Before, sub.After)})
		}
		d.AdditionalDetails = append(d.AdditionalDetails, KeyValue{"targetCount", strconv.Itoa(e.SubjectCount)})
	case e.TargetID != "":
		d.TargetResources = append(d.TargetResources, target(e))
	}
	if e.SKUID != "" {
		d.TargetResources = append(d.TargetResources, s.productTarget(e.SKUID))
	}
	return d
}

// initiator renders who made a change.
func initiator(e *allot.AuditEvent) AuditActivityActor {
	if e.ActorID != "" && !e.ActorApp {
		return AuditActivityActor{User: &UserIdentity{ID: e.ActorID, UserPrincipalName: e.ActorName}}
	}
	return AuditActivityActor{App: &AppIdentity{DisplayName: e.ActorName, ServicePrincipalID: e.ActorID}}
}

// targetTypes names the targets' types as directoryAudit shows them.
var targetTypes = map[string]string{"user": "User", "users": "User", "subscription": "Subscription", "token": "AccessToken", "tenant": "Company"}

// target renders the one object an event is about.
func target(e *allot.AuditEvent) TargetResource {
	t := TargetResource{ID: e.TargetID, DisplayName: e.TargetName, Type: targetTypes[e.TargetType], UserPrincipalName: e.TargetUPN,
		ModifiedProperties: modifiedProperties(e.Before, e.After)}
	if t.Type == "" {
		t.Type = "Other"
	}
	if t.Type == "User" && t.UserPrincipalName == "" {
		// A purged user: its last known name, from the event itself.
		var named struct{ UserPrincipalName string }
		if json.Unmarshal(e.Before, &named); named.UserPrincipalName == "" {
			json.Unmarshal(e.After, &named)
		}
		t.UserPrincipalName = named.UserPrincipalName
	}
	return t
}

// productTarget renders the product an event concerns.
func (s *Server) productTarget(skuID string) TargetResource {
	t := TargetResource{ID: skuID, Type: "Product", ModifiedProperties: []ModifiedProperty{}}
	if sku := s.catalog.SKU(skuID); sku != nil {
		t.DisplayName = sku.PartNumber
	}
	return t
}

// modifiedProperties lists the properties whose values differ between
// two JSON objects (either may be null), by name.
func modifiedProperties(before, after json.RawMessage) []ModifiedProperty {
	var old, cur map[string]json.RawMessage
	json.Unmarshal(before, &old) // written by allot as objects or null
	json.Unmarshal(after, &cur)
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range cur {
		names[k] = true
	}
	out := []ModifiedProperty{}
	for _, k := range slices.Sorted(maps.Keys(names)) {
		o, n := old[k], cur[k]
		if o != nil && n != nil && bytes.Equal(o, n) {
			continue
		}
		out = append(out, ModifiedProperty{DisplayName: k, OldValue: rawString(o), NewValue: rawString(n)})
	}
	return out
}

// rawString returns a JSON value as a string, nil for none.
func rawString(v json.RawMessage) *string {
	if v == nil {
		return nil
	}
	s := string(v)
	return &s
}
