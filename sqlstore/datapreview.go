package sqlstore

import (
	"context"
	"errors"

	"github.com/allot-project/allot"
)

// errPreview rolls back a transaction that made a change only to learn
// what it does.
var errPreview = errors.New("preview: rolled back")

// preview runs change in a write transaction, so that it takes the same
// locks, applies the same rules and computes the same data impacts as the
// real change, then rolls it back and returns the impact on the user it
// returns. A change that leaves the user's data alone gives the impact of
// its data on itself.
func (db *DB) preview(ctx context.Context, tenantID string, change func(tx *Tx) (*allot.User, error)) (*allot.DataImpact, error) {
	var out *allot.DataImpact
	err := db.update(ctx, func(tx *Tx) error {
		tx.keepImpacts = true
		u, err := change(tx)
		if err != nil {
			return err
		}
		out, err = tx.impactOn(ctx, tenantID, u)
		if err != nil {
			return err
		}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return out, err
}

// impactOn returns the impact the transaction had on u's data.
func (tx *Tx) impactOn(ctx context.Context, tenantID string, u *allot.User) (*allot.DataImpact, error) {
	for i := len(tx.impacts) - 1; i >= 0; i-- {
		if tx.impacts[i].UserID == u.ID {
			im := tx.impacts[i]
			return &im, nil
		}
	}
	d, err := tx.findUserData(ctx, tenantID, u.ID)
	if err != nil {
		return nil, err
	}
	held, err := tx.heldUsers(ctx, tenantID, []string{u.ID})
	if err != nil {
		return nil, err
	}
	im := allot.Impact(*d, *d, held[u.ID])
	return &im, nil
}

// PreviewLicenses implements allot.DataService.
func (db *DB) PreviewLicenses(ctx context.Context, p allot.Principal, idOrUPN string, ch allot.LicenseChange) (*allot.DataImpact, error) {
	ch, err := ch.Normalize()
	if err != nil {
		return nil, err
	}
	return db.preview(ctx, p.TenantID, func(tx *Tx) (*allot.User, error) {
		u, _, err := tx.assign(ctx, p, idOrUPN, ch)
		return u, err
	})
}

// PreviewDelete implements allot.DataService.
func (db *DB) PreviewDelete(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.DataImpact, error) {
	if err := allot.Authorize(p, allot.ActionManageUsers); err != nil {
		return nil, err
	}
	return db.preview(ctx, p.TenantID, func(tx *Tx) (*allot.User, error) {
		return tx.deleteNamed(ctx, p, idOrUPN)
	})
}

// dryRunData says, in the results of a bulk change's dry run, what the
// change would do to each user's data: allot.NextUserData applied as the
// change applies it (nextData), nothing written. Users whose data would
// not change keep a nil Data. Outside a dry run it does nothing.
func (tx *Tx) dryRunData(ctx context.Context, tenantID string, b allot.BulkLicenseChange, todo []bulkUser) error {
	if !b.DryRun || len(todo) == 0 {
		return nil
	}
	tx.keepImpacts = true
	mark := len(tx.impacts)
	if _, err := tx.nextData(ctx, tenantID, tx.bulkDataInputs(todo)); err != nil {
		return err
	}
	byUser := make(map[string]*allot.DataImpact, len(tx.impacts)-mark)
	for i := mark; i < len(tx.impacts); i++ {
		if im := &tx.impacts[i]; im.Changed() {
			byUser[im.UserID] = im
		}
	}
	for _, bu := range todo {
		bu.res.Data = byUser[bu.user.ID]
	}
	return nil
}
