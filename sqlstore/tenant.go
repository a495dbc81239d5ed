package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.TenantService = (*DB)(nil)

// CreateTenant implements allot.TenantService.
func (db *DB) CreateTenant(ctx context.Context, t *allot.Tenant) error {
	t.Domain = strings.ToLower(strings.TrimSpace(t.Domain))
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
		if err := tx.insertTenant(ctx, t); err != nil {
			return err
		}
		return tx.audit(ctx, operator(t.ID), tenantEvent(t))
	})
}

// insertTenant writes a tenant's row, ECONFLICT if its domain is taken.
func (tx *Tx) insertTenant(ctx context.Context, t *allot.Tenant) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tenants (tenant_id, name, domain, created_at) VALUES ($1, $2, $3, $4)`,
		t.ID, t.Name, t.Domain, micros(t.CreatedAt))
	if err != nil && allot.ErrorCode(tx.db.d.translate(err)) == allot.ECONFLICT {
		return &allot.Error{Code: allot.ECONFLICT, Field: "domain", Value: t.Domain, Message: fmt.Sprintf("A tenant with domain %s already exists.", t.Domain)}
	}
	return err
}

func tenantEvent(t *allot.Tenant) auditEvent {
	return auditEvent{action: allot.AuditTenantCreate, targetType: "tenant", targetID: t.ID, after: map[string]any{"name": t.Name, "domain": t.Domain}}
}

// FindTenantByDomain implements allot.TenantService.
func (db *DB) FindTenantByDomain(ctx context.Context, domain string) (*allot.Tenant, error) {
	return db.findTenant(ctx, "domain", strings.ToLower(domain))
}

// FindTenantByID implements allot.TenantService.
func (db *DB) FindTenantByID(ctx context.Context, id string) (*allot.Tenant, error) {
	return db.findTenant(ctx, "tenant_id", strings.ToLower(id))
}

func (db *DB) findTenant(ctx context.Context, column, value string) (*allot.Tenant, error) {
	var t allot.Tenant
	var created int64
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT tenant_id, name, domain, created_at FROM tenants WHERE `+column+` = $1`, value).
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
