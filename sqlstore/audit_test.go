package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// TestAuditSubjectsPlan checks how SQLite reads the subject rows of bulk
// changes (migration 0020), without statistics and with those of a large
// history: a bulk event's users as one range of the key, already in user
// order, and one user's events through audit_subjects_user; neither scans
// the tenant's audit history.
func TestAuditSubjectsPlan(t *testing.T) {
	const tenant, user = "a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002"
	for _, stats := range []bool{false, true} {
		t.Run(fmt.Sprint("analyzed=", stats), func(t *testing.T) {
			var large []string
			if stats { // a million subject rows of 10,000 events, 100,000 users
				large = []string{`DELETE FROM sqlite_stat1 WHERE tbl = 'audit_subjects'`,
					`INSERT INTO sqlite_stat1 VALUES ('audit_subjects', 'audit_subjects', '1000000 1000000 100 1'),
						('audit_subjects', 'audit_subjects_user', '1000000 1000000 10 1')`}
			}
			_, path := planDB(t, large...)
			byUser, args := sqlstore.AuditQuery(tenant, allot.AuditFilter{UserID: user, Limit: 50})
			for _, tt := range []struct {
				name  string
				query string
				args  []any
				want  string // the step that reads audit_subjects first
			}{
				{"a bulk event's users", sqlstore.AuditSubjectsQuery, []any{tenant, 7, allot.MaxAuditSubjects},
					"SEARCH s USING PRIMARY KEY (tenant_id=? AND event_id=?)"},
				{"a user's events", byUser, args,
					"SEARCH audit_subjects USING COVERING INDEX audit_subjects_user (tenant_id=? AND user_id=?)"},
			} {
				plan := sqlitePlan(t, path, tt.query, tt.args...)
				first := slices.IndexFunc(plan, func(s string) bool { return strings.Contains(s, " s ") || strings.Contains(s, "audit_subjects") })
				if first < 0 || plan[first] != tt.want || slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "TEMP B-TREE") }) {
					t.Errorf("%s: query plan %q, want %q first of audit_subjects, and no sort", tt.name, plan, tt.want)
				}
			}
		})
	}
}
