package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/trace"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allot-project/allot"
)

// notifyChannel is the PostgreSQL channel on which every allot process
// announces its commits to the others.
const notifyChannel = "allot_changes"

// OnCommit registers fn to be called after every committed write with what
// it changed, before the write returns to its caller. Register hooks before
// the database is used concurrently.
func (db *DB) OnCommit(fn func(allot.Change)) {
	db.hooks = append(db.hooks, fn)
}

// touch records that a user's entitlement changed: it bumps the user's
// version (under the user's row lock, so versions follow commit order:
// the change read the user FOR UPDATE on PostgreSQL) and keeps the state
// u will have once committed, its profile included: u is the whole user,
// as read by userColumns and changed.
func (tx *Tx) touch(ctx context.Context, u *allot.User) error {
	e := tx.entitlementOf(u)
	e.Profile = allot.ProfileOf(u)
	err := tx.QueryRowContext(ctx, `UPDATE user_versions SET version = version + 1 WHERE tenant_id = $1 AND user_id = $2 RETURNING version`,
		u.TenantID, u.ID).Scan(&e.Version)
	c := tx.change(u.TenantID)
	c.Entitlements = append(c.Entitlements, e)
	return err
}

// touchGone records that a user was removed for good.
func (tx *Tx) touchGone(tenantID, userID string) {
	c := tx.change(tenantID)
	c.UserIDs = append(c.UserIDs, userID)
}

// touchPools records that the tenant's subscriptions changed.
func (tx *Tx) touchPools(tenantID string) { tx.change(tenantID).Pools = true }

func (tx *Tx) change(tenantID string) *allot.Change {
	if tx.changes == nil {
		tx.changes = map[string]*allot.Change{}
	}
	c := tx.changes[tenantID]
	if c == nil {
		c = &allot.Change{TenantID: tenantID}
		tx.changes[tenantID] = c
	}
	return c
}

// entitlementOf is the entitlement u will have once committed, with the
// mailbox state when the transaction computed it (userdata.go), without
// a profile.
func (tx *Tx) entitlementOf(u *allot.User) *allot.Entitlement {
	e := &allot.Entitlement{TenantID: u.TenantID, UserID: u.ID, UserPrincipalName: u.UserPrincipalName,
		AccountEnabled: u.AccountEnabled, Deleted: u.Deleted(), UsageLocation: u.UsageLocation, Licenses: u.Licenses}
	e.Mailbox, e.MailboxKnown = tx.mailboxes[u.ID]
	return e
}

// publish hands a committed transaction's changes to the hooks.
func (db *DB) publish(changes map[string]*allot.Change) {
	defer trace.StartRegion(context.Background(), "sqlstore.publish").End()
	for _, c := range changes {
		for _, fn := range db.hooks {
			fn(*c)
		}
	}
}

// notification is the payload of a change announced to other processes.
type notification struct {
	Origin string   `json:"o"`
	Tenant string   `json:"t"`
	Users  []string `json:"u,omitempty"`
	Pools  bool     `json:"p,omitempty"`
	All    bool     `json:"a,omitempty"`
}

// maxNotifyUsers bounds the ids in one notification: PostgreSQL payloads
// are limited to 8000 bytes, so a larger change is announced in several.
// Past maxNamedUsers a change announces a reload of the tenant instead.
const (
	maxNotifyUsers = 180
	maxNamedUsers  = 250_000
)

// notify announces the transaction's changes to other processes. NOTIFY is
// transactional: listeners hear it only once the transaction commits.
func (tx *Tx) notify(ctx context.Context) error {
	if !tx.db.d.notifies {
		return nil
	}
	for _, c := range tx.changes {
		users := append([]string{}, c.UserIDs...)
		for _, e := range c.Entitlements {
			users = append(users, e.UserID)
		}
		n := notification{Origin: tx.db.origin, Tenant: c.TenantID, Pools: c.Pools, All: c.All}
		if len(users) > maxNamedUsers {
			users, n.All = nil, true
		}
		for start := 0; start == 0 || start < len(users); start += maxNotifyUsers {
			n.Users = users[start:min(start+maxNotifyUsers, len(users))]
			if err := tx.notifyOne(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) notifyOne(ctx context.Context, n notification) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, string(b))
	return err
}

// Listen calls fn with the changes other processes commit, until ctx ends.
// It closes ready once it listens, so that a cache loaded afterwards misses
// nothing; after a lost connection it reconnects and asks for a reload of
// everything (Change{All: true}), since announcements may have been missed.
// On SQLite, which one process owns, it closes ready and returns at once.
func (db *DB) Listen(ctx context.Context, ready chan<- struct{}, fn func(allot.Change)) error {
	if !db.d.notifies {
		close(ready)
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := db.listenOnce(ctx, &ready, attempt > 0, fn)
		if ctx.Err() != nil {
			return nil
		}
		db.logf("change listener: %v; reconnecting", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(time.Duration(attempt+1)*100*time.Millisecond, 2*time.Second)):
		}
	}
}

// listenOnce listens on one connection until it fails. It closes *ready
// (once, then sets it to nil) when listening has started.
func (db *DB) listenOnce(ctx context.Context, ready *chan<- struct{}, reconnect bool, fn func(allot.Change)) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	if *ready != nil {
		close(*ready)
		*ready = nil
	}
	if reconnect {
		fn(allot.Change{All: true})
	}
	for {
		msg, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		batch := map[string]*allot.Change{}
		if err := db.merge(batch, msg.Payload); err != nil {
			return err
		}
		// A large change arrives as many notifications: take those already
		// here too, and apply them together.
		for len(batch) > 0 {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
			msg, err := conn.WaitForNotification(wctx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !conn.IsClosed() && errors.Is(err, context.DeadlineExceeded) {
					break
				}
				return err
			}
			if err := db.merge(batch, msg.Payload); err != nil {
				return err
			}
		}
		for _, c := range batch {
			fn(*c)
		}
	}
}

// merge adds a notification's change to the batch, unless it is ours (the
// hooks have already seen our commits).
func (db *DB) merge(batch map[string]*allot.Change, payload string) error {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return fmt.Errorf("bad notification %q: %w", payload, err)
	}
	if n.Origin == db.origin {
		return nil
	}
	c := batch[n.Tenant]
	if c == nil {
		c = &allot.Change{TenantID: n.Tenant}
		batch[n.Tenant] = c
	}
	c.UserIDs = append(c.UserIDs, n.Users...)
	c.Pools = c.Pools || n.Pools
	c.All = c.All || n.All
	return nil
}
