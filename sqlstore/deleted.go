package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// DeleteUser implements allot.UserService. The user's licenses move to
// deleted_licenses and their seats are freed in the same transaction.
func (db *DB) DeleteUser(ctx context.Context, p allot.Principal, idOrUPN string) error {
	if err := allot.Authorize(p, allot.ActionManageUsers); err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.deleteNamed(ctx, p, idOrUPN)
		return err
	})
}

// deleteNamed deletes the user named by id or userPrincipalName, once the
// rules allow it, and returns it.
func (tx *Tx) deleteNamed(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	u, err := tx.findUser(ctx, p.TenantID, idOrUPN, true)
	if err != nil {
		return nil, err
	}
	if err := allot.CheckDelete(p, u); err != nil {
		return nil, err
	}
	if err := tx.keepGlobalAdminOf(ctx, p.TenantID, u.ID); err != nil {
		return nil, err
	}
	if u.Licenses, err = tx.findLicenses(ctx, p.TenantID, u.ID); err != nil {
		return nil, err
	}
	return u, tx.deleteUser(ctx, p, u)
}

func (tx *Tx) deleteUser(ctx context.Context, p allot.Principal, u *allot.User) error {
	events := []auditEvent{{action: allot.AuditUserDelete, targetType: "user", targetID: u.ID, before: userJSON(u)}}
	for _, l := range sortedByPool(u.Licenses) {
		if err := tx.takeSeats(ctx, p.TenantID, l.SKUID, l.Pool(), -1); err != nil {
			return err
		}
		if err := tx.insertLicense(ctx, "deleted_licenses", p.TenantID, u.ID, l); err != nil {
			return err
		}
		events = append(events, licenseEvent(allot.AuditLicenseRemove, u.ID, &l, nil))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM licenses WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = $3 WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID, micros(tx.now)); err != nil {
		return err
	}
	if err := tx.deletedData(ctx, p.TenantID, u); err != nil {
		return err
	}
	u.DeletedAt, u.Licenses = tx.now, nil
	if err := tx.touch(ctx, u); err != nil {
		return err
	}
	return tx.audit(ctx, p, events...)
}

// RestoreUser implements allot.UserService.
func (db *DB) RestoreUser(ctx context.Context, p allot.Principal, id string) (*allot.User, error) {
	if err := allot.Authorize(p, allot.ActionManageUsers); err != nil {
		return nil, err
	}
	var out *allot.User
	err := db.update(ctx, func(tx *Tx) error {
		u, err := tx.findDeletedUser(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := tx.restoreUser(ctx, p, u); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

func (tx *Tx) findDeletedUser(ctx context.Context, tenantID, id string) (*allot.User, error) {
	q := `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.deleted_at IS NOT NULL` + tx.db.d.forUpdate
	u, err := scanUser(tx.QueryRowContext(ctx, q, tenantID, strings.ToLower(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(id)
	}
	return u, err
}

// restoreUser takes a seat again for every license the user held, and
// refuses the whole restore if one has no seat left or the user's name is
// taken.
func (tx *Tx) restoreUser(ctx context.Context, p allot.Principal, u *allot.User) error {
	m, err := tx.licensesOf(ctx, "deleted_licenses", p.TenantID, []string{u.ID})
	if err != nil {
		return err
	}
	u.Licenses = m[u.ID]
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND upn_lower = $2 AND deleted_at IS NULL`,
		p.TenantID, strings.ToLower(u.UserPrincipalName)).Scan(&taken); err != nil {
		return err
	}
	if err := allot.CheckRestore(u, taken > 0); err != nil {
		return err
	}
	events := []auditEvent{{action: allot.AuditUserRestore, targetType: "user", targetID: u.ID, after: userJSON(u)}}
	for _, l := range sortedByPool(u.Licenses) {
		if err := tx.takeSeats(ctx, p.TenantID, l.SKUID, l.Pool(), +1); allot.ErrorCode(err) == allot.ECOUNTVIOLATION {
			return allot.RestoreSeatsError(tx.db.catalog, u, l.SKUID)
		} else if err != nil {
			return err
		}
		if err := tx.insertLicense(ctx, "licenses", p.TenantID, u.ID, l); err != nil {
			return err
		}
		events = append(events, licenseEvent(allot.AuditLicenseAdd, u.ID, nil, &l))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM deleted_licenses WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = NULL WHERE tenant_id = $1 AND user_id = $2`, p.TenantID, u.ID); err != nil {
		return err
	}
	u.DeletedAt = time.Time{}
	if err := tx.changeData(ctx, p.TenantID, []dataInput{{u, allot.DataEvent{Kind: allot.DataUserRestored, After: u.Licenses, Now: tx.dataNow()}}}); err != nil {
		return err
	}
	if err := tx.touch(ctx, u); err != nil {
		return err
	}
	return tx.audit(ctx, p, events...)
}

// PurgeDeletedUsers implements allot.UserService. One transaction at a
// time purges, across processes (tryLock): a call that finds another one
// purging returns 0 and leaves the work to it. Each user is purged and
// audited at most once, even by concurrent calls (purgeUser).
func (db *DB) PurgeDeletedUsers(ctx context.Context, now time.Time) (int, error) {
	cutoff := micros(now.Add(-allot.DeletedRetention))
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		n = 0 // update may run this again
		if ok, err := tx.tryLock(ctx, lockPurgeDeletedUsers); err != nil || !ok {
			return err
		}
		vs, err := tx.purgeCandidates(ctx, cutoff)
		if err != nil {
			return err
		}
		for _, v := range vs {
			gone, err := tx.purgeUser(ctx, v, cutoff)
			if err != nil {
				return err
			}
			if gone {
				n++
			}
		}
		return nil
	})
	return n, err
}

func sortedByPool(ls []allot.License) []allot.License {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b allot.License) int {
		return strings.Compare(a.SKUID+"/"+a.Pool(), b.SKUID+"/"+b.Pool())
	})
	return out
}
