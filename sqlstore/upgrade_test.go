package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// The objects the version-1 data holds.
const (
	upTenant = "11111111-1111-4111-8111-111111111111"
	upSub    = "22222222-2222-4222-8222-222222222222"
	upUser   = "33333333-3333-4333-8333-333333333333"
	upOther  = "44444444-4444-4444-8444-444444444444"
	upSKU    = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3
)

// version1Data is a tenant with a subscription of 10 E3 seats, two users,
// one of them licensed, and the audit event of that license, in the SQL
// of schema version 1, which every later version accepts.
func version1Data(eventID string) []string {
	return []string{
		`INSERT INTO tenants (tenant_id, name, domain, created_at) VALUES ('` + upTenant + `', 'Old', 'old.example', 1)`,
		`INSERT INTO subscriptions (tenant_id, subscription_id, sku_id, status, quantity, is_trial, recurring, owner_type, purchased_by, created_at, next_lifecycle_at)
		VALUES ('` + upTenant + `', '` + upSub + `', '` + upSKU + `', 'Enabled', 10, FALSE, TRUE, 'Company', '', 1, 0)`,
		`INSERT INTO seat_pools (tenant_id, sku_id, pool, purchased_by, capacity, consumed) VALUES ('` + upTenant + `', '` + upSKU + `', '', '', 10, 1)`,
		upUserSQL(upUser, "licensed"),
		upUserSQL(upOther, "other"),
		`INSERT INTO licenses (tenant_id, user_id, sku_id, pool, disabled_plans, assigned_at) VALUES ('` + upTenant + `', '` + upUser + `', '` + upSKU + `', '', '[]', 2)`,
		`INSERT INTO audit_events (tenant_id, event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json)
		VALUES ('` + upTenant + `', ` + eventID + `, 2, '', 'test', 'CLI', 'license.add', 'user', '` + upUser + `', '` + upSKU + `', '{}', '{}')`,
	}
}

// upgradeData is version1Data as allot at schema version n would have
// written it, plus, from the version that added subject rows, a bulk
// change's event naming the unlicensed user among its subjects.
func upgradeData(eventID string, n int) []string {
	stmts := version1Data(eventID)
	if n >= userVersionsVersion {
		for _, id := range []string{upUser, upOther} {
			stmts = append(stmts, `INSERT INTO user_versions (tenant_id, user_id, version) VALUES ('`+upTenant+`', '`+id+`', 1)`)
		}
	}
	if n >= auditSubjectsVersion {
		bulkID, subjectEvent := "2", "2"
		if eventID != "1" {
			bulkID, subjectEvent = eventID, "currval('audit_event_seq')"
		}
		stmts = append(stmts, `INSERT INTO audit_events (tenant_id, event_id, at, actor_id, actor_name, via, action, target_type, target_id, sku_id, before_json, after_json)
			VALUES ('`+upTenant+`', `+bulkID+`, 3, '', 'test', 'CLI', 'license.update', 'users', '', '`+upSKU+`', '{}', '{"users":1}')`,
			`INSERT INTO audit_subjects (tenant_id, user_id, event_id, before_json, after_json)
			VALUES ('`+upTenant+`', '`+upOther+`', `+subjectEvent+`, '{"disabledPlans":[]}', '{"disabledPlans":["x"]}')`)
	}
	return stmts
}

// The schema versions that added user_versions and audit_subjects.
const (
	auditSubjectsVersion = 4
	userVersionsVersion  = 19
)

func upUserSQL(id, name string) string {
	return fmt.Sprintf(`INSERT INTO users (tenant_id, user_id, upn, upn_lower, display_name, display_lower, given_name, surname, job_title, usage_location, account_enabled, created_at)
		VALUES ('%s', '%s', '%s@old.example', '%s@old.example', '%s', '%s', '', '', '', 'US', TRUE, 1)`, upTenant, id, name, name, name, name)
}

// TestUpgradeFromEveryVersion builds a database at every earlier schema
// version (migrations 1..n, then version-1 data), opens it with this
// allot, which migrates it to the latest version, and checks that the data
// reads back, the invariants hold and a write succeeds.
func TestUpgradeFromEveryVersion(t *testing.T) {
	engines := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "allot.db") },
		"postgres": postgresURL,
	}
	for engine, newDSN := range engines {
		for n := 1; n < sqlstore.Migrations(engine+"://"); n++ {
			t.Run(fmt.Sprintf("%s from version %d", engine, n), func(t *testing.T) {
				upgradeFrom(t, newDSN(t), n)
			})
		}
	}
}

func upgradeFrom(t *testing.T, dsn string, n int) {
	ctx := context.Background()
	raw, err := sqlstore.MigrateTo(ctx, dsn, n)
	if err != nil {
		t.Fatal(err)
	}
	eventID := "1"
	if strings.HasPrefix(dsn, "postgres") {
		eventID = "nextval('audit_event_seq')" // as allot allocates them there
	}
	for _, q := range upgradeData(eventID, n) {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			raw.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("upgrading from version %d: %v", n, err)
	}
	defer db.Close()
	if problems, err := db.Doctor(ctx); err != nil || len(problems) > 0 {
		t.Errorf("doctor after the upgrade: %v, %v", problems, err)
	}
	p := allot.SystemPrincipal(upTenant, "test")
	u, err := db.FindUser(ctx, p, upUser)
	if err != nil || len(u.Licenses) != 1 || u.Licenses[0].SKUID != upSKU {
		t.Fatalf("the licensed user after the upgrade: %+v, %v", u, err)
	}
	if _, err := db.AssignLicenses(ctx, p, upOther, allot.LicenseChange{Add: []allot.AssignedLicense{{SKUID: upSKU}}}); err != nil {
		t.Fatalf("assigning after the upgrade: %v", err)
	}
	sku, err := db.FindSubscribedSKU(ctx, p, upSKU)
	if err != nil || sku.Consumed != 2 {
		t.Errorf("E3 after one more assignment: %+v, %v; want 2 consumed", sku, err)
	}
	events, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Since: time.Unix(0, 0)})
	want := 2 // the old one and the new one
	if n >= auditSubjectsVersion {
		want++ // and the old bulk change's
	}
	if err != nil || len(events) != want {
		t.Errorf("audit after the upgrade: %d events, %v; want %d", len(events), err, want)
	}
	if n >= auditSubjectsVersion { // its subject, read by event and by user
		i := slices.IndexFunc(events, func(e *allot.AuditEvent) bool { return e.Action == allot.AuditLicenseUpdate })
		if i < 0 || len(events[i].Subjects) != 1 || events[i].Subjects[0].UserID != upOther {
			t.Errorf("the old bulk change after the upgrade: %+v", events)
		}
		mine, err := db.FindAuditEvents(ctx, p, allot.AuditFilter{Since: time.Unix(0, 0), UserID: upOther})
		i = slices.IndexFunc(mine, func(e *allot.AuditEvent) bool { return e.Action == allot.AuditLicenseUpdate })
		if err != nil || len(mine) != 2 || i < 0 || string(mine[i].After) != `{"disabledPlans":["x"]}` {
			t.Errorf("the other user's events after the upgrade: %+v, %v; want the new assignment and its part of the old bulk change", mine, err)
		}
	}
	if problems, err := db.Doctor(ctx); err != nil || len(problems) > 0 {
		t.Errorf("doctor after a write: %v, %v", problems, err)
	}
	if n < seatDaysVersion { // the old event is counted by migration 17's Go step
		days, err := db.FindSeatDays(ctx, p, time.Unix(0, 0))
		var old, all int
		for _, d := range days {
			all += d.Delta.Assigned
			if d.Day.Equal(time.Unix(0, 0)) {
				old += d.Delta.Assigned
			}
		}
		if err != nil || old != 1 || all != 2 {
			t.Errorf("seat days after the upgrade: %+v, %v; want the old license on its day and the new one", days, err)
		}
	}
}

// seatDaysVersion is the migration that added seat_days and counted the
// audit events before it.
const seatDaysVersion = 17
