package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.TenantService = (*DB)(nil)

// CreateTenant implements allot.TenantService.
func (db *DB) CreateTenant(ctx context.Context, t *allot.Tenant) error {
	if t.ID == "" {
		t.ID = db.newID()
	}
	t.ID = strings.ToLower(t.ID)
	if err := t.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		if t.CreatedAt.IsZero() {
			t.CreatedAt = tx.now
		}
		return tx.insertTenant(ctx, t)
	})
}

// SetUpTenant implements allot.TenantService: the tenant, its domain, its
// administrator with the Global Administrator role and its subscriptions,
// each audited as the operator, in one transaction.
func (db *DB) SetUpTenant(ctx context.Context, s *allot.TenantSetup) error {
	t := &s.Tenant
	if t.ID == "" {
		t.ID = db.newID()
	}
	t.ID = strings.ToLower(t.ID)
	return db.update(ctx, func(tx *Tx) error {
		if err := s.Validate(db.catalog, tx.now); err != nil {
			return err
		}
		t.CreatedAt = tx.now
		if err := tx.insertTenant(ctx, t); err != nil {
			return err
		}
		op := operator(t.ID)
		a := &s.Admin
		a.ID, a.TenantID, a.CreatedAt, a.DeletedAt, a.Licenses = db.newID(), t.ID, tx.now, time.Time{}, nil
		if err := tx.createUser(ctx, op, a); err != nil {
			return err
		}
		if err := tx.grantSetupRole(ctx, op, a.ID); err != nil {
			return err
		}
		for i := range s.Subscriptions {
			sub := &s.Subscriptions[i]
			sub.ID, sub.TenantID = db.newID(), t.ID
			if err := tx.createSubscription(ctx, op, sub); err != nil {
				return err
			}
		}
		return nil
	})
}

// grantSetupRole makes a new tenant's first user its Global Administrator.
func (tx *Tx) grantSetupRole(ctx context.Context, p allot.Principal, userID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO role_assignments (tenant_id, user_id, role) VALUES ($1, $2, $3)`,
		p.TenantID, userID, string(allot.RoleGlobalAdmin))
	if err != nil {
		return err
	}
	return tx.audit(ctx, p, auditEvent{action: allot.AuditRoleAssign, targetType: "user", targetID: userID, after: map[string]any{"role": allot.RoleGlobalAdmin}})
}

// insertTenant writes a tenant's row and its domain, the verified default,
// and audits them; ECONFLICT if any tenant has the domain.
func (tx *Tx) insertTenant(ctx context.Context, t *allot.Tenant) error {
	conflict := &allot.Error{Code: allot.ECONFLICT, Field: "domain", Value: t.Domain,
		Message: fmt.Sprintf("The domain %s is already used by another organisation.", t.Domain)}
	_, err := tx.ExecContext(ctx, `INSERT INTO tenants (tenant_id, name, domain, created_at) VALUES ($1, $2, $3, $4)`,
		t.ID, t.Name, t.Domain, micros(t.CreatedAt))
	if allot.ErrorCode(tx.db.d.translate(err)) == allot.ECONFLICT {
		return conflict
	} else if err != nil {
		return err
	}
	if err := tx.audit(ctx, operator(t.ID), tenantEvent(t)); err != nil {
		return err
	}
	d := &allot.Domain{Name: t.Domain, TenantID: t.ID, IsDefault: true, IsVerified: true, IsInitial: true, CreatedAt: t.CreatedAt}
	if err := tx.insertDomain(ctx, d); allot.ErrorCode(err) == allot.ECONFLICT {
		return conflict
	} else if err != nil {
		return err
	}
	return nil
}

func tenantEvent(t *allot.Tenant) auditEvent {
	return auditEvent{action: allot.AuditTenantCreate, targetType: "tenant", targetID: t.ID, after: map[string]any{"name": t.Name, "domain": t.Domain}}
}

// FindTenantByDomain implements allot.TenantService.
func (db *DB) FindTenantByDomain(ctx context.Context, domain string) (*allot.Tenant, error) {
	return db.findTenant(ctx, `tenant_id = (SELECT tenant_id FROM domains WHERE name = $1)`, allot.NormalizeDomainName(domain))
}

// FindTenantByID implements allot.TenantService.
func (db *DB) FindTenantByID(ctx context.Context, id string) (*allot.Tenant, error) {
	return db.findTenant(ctx, "tenant_id = $1", strings.ToLower(id))
}

// findTenant returns the tenant matching cond, a condition on $1 = value.
func (db *DB) findTenant(ctx context.Context, cond, value string) (*allot.Tenant, error) {
	var t allot.Tenant
	var created int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT tenant_id, name, domain, created_at FROM tenants WHERE `+cond, value).
			Scan(&t.ID, &t.Name, &t.Domain, &created)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, allot.Errorf(allot.ENOTFOUND, "Tenant %s does not exist.", value)
	} else if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// FindTenants implements allot.TenantService.
func (db *DB) FindTenants(ctx context.Context) ([]*allot.Tenant, error) {
	var out []*allot.Tenant
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT tenant_id, name, domain, created_at FROM tenants ORDER BY name, tenant_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t allot.Tenant
			var created int64
			if err := rows.Scan(&t.ID, &t.Name, &t.Domain, &created); err != nil {
				return err
			}
			t.CreatedAt = fromMicros(created)
			out = append(out, &t)
		}
		return rows.Err()
	})
	return out, err
}
