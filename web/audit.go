package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// registerAuditRoutes registers the audit log's page.
func (h *Handler) registerAuditRoutes() {
	h.mux.Handle("GET /audit", h.page(h.auditLog))
}

// auditCategories are the activity filter's choices, as the audit log
// names them (allot.AuditActivity.Category).
var auditCategories = []string{allot.AuditCategoryUsers, allot.AuditCategoryRoles, allot.AuditCategoryDirectory,
	allot.AuditCategoryApplication, allot.AuditCategoryOther}

// auditRow is one event of the audit log's page.
type auditRow struct {
	Event    *allot.AuditEvent
	Activity allot.AuditActivity
	Label    string // the activity's name in the page's language
	Target   string // the target user's name and UPN, the product's name, or the object's type and id
	TargetID string // the id under a product's name (a subscription's), "" otherwise (a product's own event)
	Bulk     int    // the users of a bulk change, 0 for one target
}

// auditPage is the data of the audit log's page.
type auditPage struct {
	base
	Rows                  []auditRow
	Actor, Target         string // the filters as typed: userPrincipalNames
	Category, From, Until string
	Categories            []string
	ActorError, TargetErr string // refusals beside their fields
	DateError             string
	Next                  string // the query of the next page, "" on the last
	First                 bool
}

// auditPageSize is how many events the audit log's page lists at once.
const auditPageSize = 50

// auditLog lists the audit log newest first, filtered by actor, target
// user, activity and dates, paged by keyset (the last event's id). The
// store decides what the visitor may read (allot.AuditScope).
func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if err := allot.Authorize(s.p, allot.ActionReadAudit); err != nil {
		return err
	}
	q := r.URL.Query()
	pg := &auditPage{base: h.base(r, "audit.title", "audit"), Categories: auditCategories}
	pg.Actor, pg.Target = strings.TrimSpace(q.Get("actor")), strings.TrimSpace(q.Get("target"))
	pg.Category, pg.From, pg.Until = q.Get("category"), q.Get("from"), q.Get("until")
	f, ok := h.auditFilter(r, s.p, pg)
	if before := q.Get("before"); before != "" {
		if f.BeforeID, err = strconv.ParseInt(before, 10, 64); err != nil || f.BeforeID <= 0 {
			return pageError(http.StatusBadRequest, "error.badForm")
		}
	}
	pg.First = f.BeforeID == 0
	if !ok {
		h.render(w, r, http.StatusUnprocessableEntity, "audit", pg)
		return nil
	}
	f.Limit = auditPageSize + 1
	events, err := h.svc.Audit.FindAuditEvents(r.Context(), s.p, f)
	if err != nil {
		return err
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		next := r.URL.Query()
		next.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		pg.Next = "?" + next.Encode()
	}
	for _, e := range events {
		pg.Rows = append(pg.Rows, h.auditRow(pg.base, e))
	}
	h.render(w, r, http.StatusOK, "audit", pg)
	return nil
}

// auditRow is how the page shows e in b's language: the activity's label
// and, for a subscription's event, the product's name above the id.
func (h *Handler) auditRow(b base, e *allot.AuditEvent) auditRow {
	row := auditRow{Event: e, Activity: allot.Activity(e.Action), Target: auditTarget(e)}
	row.Label = b.ActivityName(e.Action)
	if e.TargetType == "users" {
		row.Bulk = max(e.SubjectCount, 1)
	}
	if sku := h.catalog.SKU(e.SKUID); sku != nil && e.TargetType == "subscription" {
		row.Target = b.SKUName(sku)
		if e.TargetID != e.SKUID { // a product's own event (its self-service policy) names no subscription
			row.TargetID = e.TargetID
		}
	}
	return row
}

// ChannelName names the channel a change came through in the page's
// language (the message audit.via.<channel>), or as recorded for one the
// catalogs do not know.
func (b base) ChannelName(via allot.Channel) string {
	return b.labelOr("audit.via."+string(via), string(via))
}

// labelOr returns the message key in the page's language, or fallback
// for a value recorded that the catalogs have no label for.
func (b base) labelOr(key, fallback string) string {
	if s, ok := b.loc.lookup(b.Lang, key); ok {
		return s
	}
	return fallback
}

// ActivityName names an audit action in the page's language (the
// message audit.action.<action>), or by the audit log's own English name
// (allot.Activity) for an action the catalogs do not know.
func (b base) ActivityName(action string) string {
	return b.labelOr("audit.action."+action, allot.Activity(action).DisplayName)
}

// auditFilter turns the page's filters into an allot.AuditFilter; a
// filter it cannot use sets its refusal on pg and returns false.
func (h *Handler) auditFilter(r *http.Request, p allot.Principal, pg *auditPage) (allot.AuditFilter, bool) {
	var f allot.AuditFilter
	ok := true
	if pg.Actor != "" {
		if u, err := h.svc.Users.FindUser(r.Context(), p, pg.Actor); err == nil {
			f.ActorID = u.ID
		} else {
			pg.ActorError, ok = pg.T("audit.err.noUser", pg.Actor), false
		}
	}
	if pg.Target != "" {
		if u, err := h.svc.Users.FindUser(r.Context(), p, pg.Target); err == nil {
			f.UserID = u.ID
		} else {
			pg.TargetErr, ok = pg.T("audit.err.noUser", pg.Target), false
		}
	}
	if pg.Category != "" {
		known := false
		for _, c := range auditCategories {
			known = known || c == pg.Category
		}
		if !known {
			pg.Category = ""
		}
		f.Category = pg.Category
	}
	var err1, err2 error
	f.Since, err1 = parseDay(pg.From)
	f.Until, err2 = parseDay(pg.Until)
	if !f.Until.IsZero() {
		f.Until = f.Until.Add(24*time.Hour - time.Microsecond) // the whole day
	}
	if err1 != nil || err2 != nil || (!f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since)) {
		pg.DateError, ok = pg.T("audit.err.dates"), false
	}
	return f, ok
}

// parseDay reads a date field (YYYY-MM-DD, UTC); "" is the zero time.
func parseDay(s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	return time.Parse("2006-01-02", s)
}

// auditTarget names an event's target: a user by name and UPN, any other
// object by its type and id; "" for a bulk change (auditRow.Bulk).
func auditTarget(e *allot.AuditEvent) string {
	switch {
	case e.TargetUPN != "":
		return e.TargetName + " (" + e.TargetUPN + ")"
	case e.TargetType == "users":
		return ""
	}
	return strings.TrimSpace(e.TargetType + " " + e.TargetID)
}

// FirstLink returns the query of the first page with the same filters.
func (pg *auditPage) FirstLink() string {
	v := url.Values{}
	for k, s := range map[string]string{"actor": pg.Actor, "target": pg.Target, "category": pg.Category, "from": pg.From, "until": pg.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return "?" + v.Encode()
}

// DateTime writes an instant in the page's locale, to the minute, UTC.
func (pg *auditPage) DateTime(t time.Time) string {
	return pg.Date(t) + " " + t.UTC().Format("15:04") + " UTC"
}
