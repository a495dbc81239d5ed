package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

var _ allot.CheckService = (*DB)(nil)

// Check implements allot.CheckService from SQL: each user's entitlement
// read as the license-check index would hold it, answered by allot.Check,
// the same rule. A server answers checks this way while its index loads;
// the index answers them far faster afterwards.
func (db *DB) Check(ctx context.Context, p allot.Principal, reqs []allot.CheckRequest) ([]allot.CheckResult, error) {
	if err := allot.Authorize(p, allot.ActionCheck); err != nil {
		return nil, err
	}
	if err := allot.ValidateChecks(reqs); err != nil {
		return nil, err
	}
	ids, err := db.checkedUserIDs(ctx, p.TenantID, reqs)
	if err != nil {
		return nil, err
	}
	ents, err := db.FindEntitlements(ctx, p.TenantID, slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" }))
	if err != nil {
		return nil, err
	}
	access, err := db.FindPoolAccess(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*allot.Entitlement{}
	for _, e := range ents {
		byID[e.UserID] = e
	}
	hasAccess := func(tenantID, skuID, pool string) bool {
		return access[allot.PoolKey{TenantID: tenantID, SKUID: skuID, Pool: pool}]
	}
	out := make([]allot.CheckResult, len(reqs))
	for i, r := range reqs {
		var e *allot.Entitlement
		if ids[i] != "" {
			e = byID[ids[i]]
		}
		out[i] = allot.Check(db.Catalog(), e, db.Catalog().ServicePlan(strings.TrimSpace(r.ServicePlan)), hasAccess)
		out[i].User = r.User
	}
	return out, nil
}

// checkedUserIDs returns the canonical id of each request's user, as the
// index finds it: by id in either case (deleted users too), or by the
// userPrincipalName of a user not deleted; "" for none.
func (db *DB) checkedUserIDs(ctx context.Context, tenantID string, reqs []allot.CheckRequest) ([]string, error) {
	ids := make([]string, len(reqs))
	err := db.view(ctx, func(tx *Tx) error {
		for i, r := range reqs {
			key := strings.TrimSpace(r.User)
			if !strings.Contains(key, "@") {
				if g, ok := allot.ParseGUID(key); ok {
					ids[i] = g.String()
				}
				continue
			}
			err := tx.QueryRowContext(ctx, `SELECT user_id FROM users WHERE tenant_id = $1 AND upn_lower = $2 AND deleted_at IS NULL`,
				tenantID, strings.ToLower(key)).Scan(&ids[i])
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return nil
	})
	return ids, err
}
