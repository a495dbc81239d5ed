package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/allot-project/allot"
)

var _ allot.DomainService = (*DB)(nil)

const domainColumns = `name, tenant_id, is_default, is_verified, is_initial, created_at`

// FindDomains implements allot.DomainService.
func (db *DB) FindDomains(ctx context.Context, p allot.Principal) ([]*allot.Domain, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	var out []*allot.Domain
	err := db.view(ctx, func(tx *Tx) (err error) {
		out, err = tx.findDomains(ctx, p.TenantID)
		return err
	})
	return out, err
}

// FindDomain implements allot.DomainService.
func (db *DB) FindDomain(ctx context.Context, p allot.Principal, name string) (*allot.Domain, error) {
	if err := allot.Authorize(p, allot.ActionRead); err != nil {
		return nil, err
	}
	name = allot.NormalizeDomainName(name)
	var d *allot.Domain
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		d, err = scanDomain(tx.QueryRowContext(ctx, `SELECT `+domainColumns+` FROM domains WHERE tenant_id = $1 AND name = $2`, p.TenantID, name))
		if errors.Is(err, sql.ErrNoRows) {
			return &allot.Error{Code: allot.ENOTFOUND, Field: "domain", Value: name,
				Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", name)}
		}
		return err
	})
	return d, err
}

// findDomains returns a tenant's domains, the default first.
func (tx *Tx) findDomains(ctx context.Context, tenantID string) ([]*allot.Domain, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+domainColumns+` FROM domains WHERE tenant_id = $1 ORDER BY is_default DESC, name`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*allot.Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func scanDomain(row scanner) (*allot.Domain, error) {
	var d allot.Domain
	var created int64
	if err := row.Scan(&d.Name, &d.TenantID, &d.IsDefault, &d.IsVerified, &d.IsInitial, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

// checkUPNDomain returns allot.CheckUPNDomain's refusal unless upn ends
// with one of the tenant's domains.
func (tx *Tx) checkUPNDomain(ctx context.Context, tenantID, upn string) error {
	ds, err := tx.findDomains(ctx, tenantID)
	if err != nil {
		return err
	}
	return allot.CheckUPNDomain(upn, ds)
}

// AddDomain implements allot.DomainService.
func (db *DB) AddDomain(ctx context.Context, tenantID string, d *allot.Domain) error {
	d.Name = allot.NormalizeDomainName(d.Name)
	if err := allot.ValidateDomainName(d.Name); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		var defaultDomain string
		// The tenant's row lock serializes the changes of its default domain.
		err := tx.QueryRowContext(ctx, `SELECT domain FROM tenants WHERE tenant_id = $1`+tx.db.d.forUpdate, tenantID).Scan(&defaultDomain)
		if errors.Is(err, sql.ErrNoRows) {
			return allot.Errorf(allot.ENOTFOUND, "Tenant %s does not exist.", tenantID)
		} else if err != nil {
			return err
		}
		d.TenantID, d.IsVerified, d.IsInitial, d.CreatedAt = tenantID, true, false, tx.now
		if err := tx.insertDomain(ctx, d); err != nil {
			return err
		}
		err = tx.audit(ctx, operator(tenantID), auditEvent{action: allot.AuditDomainCreate, targetType: "domain", targetID: d.Name,
			after: map[string]any{"name": d.Name, "isDefault": d.IsDefault, "isVerified": d.IsVerified}})
		if err != nil || !d.IsDefault {
			return err
		}
		return tx.moveDefaultDomain(ctx, tenantID, defaultDomain, d.Name)
	})
}

// insertDomain writes a domain's row, ECONFLICT if any tenant has the
// domain already. The caller audits it (a tenant's first domain is part of
// the tenant's creation event).
func (tx *Tx) insertDomain(ctx context.Context, d *allot.Domain) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO domains (`+domainColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		d.Name, d.TenantID, d.IsDefault, d.IsVerified, d.IsInitial, micros(d.CreatedAt))
	if allot.ErrorCode(tx.db.d.translate(err)) == allot.ECONFLICT {
		return &allot.Error{Code: allot.ECONFLICT, Field: "domain", Value: d.Name,
			Message: fmt.Sprintf("The domain %s is already in use, by this organisation or another one.", d.Name)}
	}
	return err
}

// moveDefaultDomain makes the domain to the tenant's default instead of
// from, in tenants.domain too, and audits the move.
func (tx *Tx) moveDefaultDomain(ctx context.Context, tenantID, from, to string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE domains SET is_default = (name = $2) WHERE tenant_id = $1`, tenantID, to); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenants SET domain = $2 WHERE tenant_id = $1`, tenantID, to); err != nil {
		return tx.db.d.translate(err)
	}
	return tx.audit(ctx, operator(tenantID), auditEvent{action: allot.AuditDomainUpdate, targetType: "tenant", targetID: tenantID,
		before: map[string]any{"defaultDomain": from}, after: map[string]any{"defaultDomain": to}})
}
