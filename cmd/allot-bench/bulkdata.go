package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// This file holds the data check of the bulk workloads: since version 2
// of the data set, the SKUs W5 and W6 change carry a mailbox plan and a
// files plan, so each bulk change runs the data lifecycle for its users.

// benchUserData is what the data check reads of a user: its licenses and
// its recorded data (the zero UserData when it has no row).
type benchUserData struct {
	Licenses []allot.License
	Data     allot.UserData
}

// benchKept is the data check's reading of users before a change, gob
// encoded while the change runs: as a map, 100 k users' licenses and data
// were 70 MB of pointers in the bench process, which the collector marked
// in every cycle during the change under test as if they were allot's
// (docs/performance.md, wave 12). Bytes it does not scan.
type benchKept []byte

// keepUserData reads the users' data as readUserData does and keeps it
// encoded.
func (env *benchEnv) keepUserData(ctx context.Context, ids []string) (benchKept, error) {
	m, err := env.readUserData(ctx, ids)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = gob.NewEncoder(&b).Encode(m)
	return b.Bytes(), err
}

// userData decodes what keepUserData kept.
func (k benchKept) userData() (map[string]benchUserData, error) {
	var m map[string]benchUserData
	err := gob.NewDecoder(bytes.NewReader(k)).Decode(&m)
	return m, err
}

// readUserData returns the licenses and recorded data of the users of the
// big tenant, by id.
func (env *benchEnv) readUserData(ctx context.Context, ids []string) (map[string]benchUserData, error) {
	ents, err := env.db.FindEntitlements(ctx, env.d.big.id, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]benchUserData, len(ids))
	for _, e := range ents {
		out[e.UserID] = benchUserData{Licenses: e.Licenses}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{env.d.big.id}
		var in strings.Builder // $2, $3, …: numbered, which both engines read
		for i, id := range chunk {
			args = append(args, id)
			if i > 0 {
				in.WriteString(", ")
			}
			in.WriteString("$" + strconv.Itoa(i+2))
		}
		rows, err := env.raw.QueryContext(ctx, `SELECT user_id, mailbox_state, files_state, mailbox_plan_id, files_plan_id
			FROM user_data WHERE tenant_id = $1 AND user_id IN (`+in.String()+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d allot.UserData
			if err := rows.Scan(&d.UserID, &d.Mailbox, &d.Files, &d.MailboxPlanID, &d.FilesPlanID); err != nil {
				rows.Close()
				return nil, err
			}
			u := out[d.UserID]
			u.Data = d
			out[d.UserID] = u
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkData verifies that the data of the users, read before a change
// (before) and now, moved as allot.NextUserData says for their licenses
// before and after: mailbox and files states, and whether a lost plan is
// recorded (which plan, when several carry data, depends on the order of
// the licenses and is the store's tests' business). It records mismatches
// in r, counts the users in each mailbox state as extras named after the
// stage ("after", "restored"), and returns the state now.
func (env *benchEnv) checkData(ctx context.Context, r *benchResult, stage string, ids []string, before map[string]benchUserData) (map[string]benchUserData, error) {
	now, err := env.readUserData(ctx, ids)
	if err != nil {
		return nil, err
	}
	bad := 0
	states := map[allot.MailboxState]int{}
	for _, id := range ids {
		b, a := before[id], now[id]
		want := allot.NextUserData(env.d.catalog, b.Data, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: b.Licenses, After: a.Licenses, Now: time.Now()})
		got := a.Data
		states[got.Mailbox]++
		if got.Mailbox != want.Mailbox || got.Files != want.Files || (got.MailboxPlanID == "") != (want.MailboxPlanID == "") || (got.FilesPlanID == "") != (want.FilesPlanID == "") {
			if bad < 3 {
				r.fail("%s: user %s's data is mailbox %q (plan %q), files %q (plan %q); the rule says mailbox %q (plan %q), files %q (plan %q)", stage, id,
					got.Mailbox, got.MailboxPlanID, got.Files, got.FilesPlanID, want.Mailbox, want.MailboxPlanID, want.Files, want.FilesPlanID)
			}
			bad++
		}
	}
	if bad > 3 {
		r.fail("%s: %d more users whose data is not what the rule says", stage, bad-3)
	}
	r.extra("mailboxes_disconnected_"+stage, states[allot.MailboxDisconnected])
	r.extra("mailboxes_active_"+stage, states[allot.MailboxActive])
	return now, nil
}

// checkBulkData checks the data of the users of a bulk change, read
// before it (before), then undoes the change with undo and checks their
// data again: each time it must be what allot.NextUserData says, some
// mailboxes must have moved (the SKUs W5 and W6 change carry one), and
// once undone every mailbox active before is active again. (The undo
// assigns the SKU with every plan enabled, so a user who had its mailbox
// plan disabled gets a mailbox; the rule check covers that.)
func (env *benchEnv) checkBulkData(ctx context.Context, r *benchResult, ids []string, kept benchKept, undo allot.LicenseChange) error {
	before, err := kept.userData()
	if err != nil {
		return err
	}
	after, err := env.checkData(ctx, r, "after", ids, before)
	if err != nil {
		return err
	}
	if err := env.bulkSystem(ctx, ids, undo); err != nil {
		return err
	}
	undone, err := env.checkData(ctx, r, "undone", ids, after)
	if err != nil {
		return err
	}
	moved, lost := 0, 0
	for _, id := range ids {
		b, a, u := before[id].Data.Mailbox, after[id].Data.Mailbox, undone[id].Data.Mailbox
		if a != b {
			moved++
		}
		if b == allot.MailboxActive && u != allot.MailboxActive {
			if lost == 0 {
				r.fail("user %s's mailbox was active before the change and is %q once it is undone", id, u)
			}
			lost++
		}
	}
	if moved == 0 {
		r.fail("the change moved no user's mailbox: its SKU carries no mailbox plan?")
	}
	r.extra("mailboxes_moved", moved)
	return nil
}
