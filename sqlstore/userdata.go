package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

var _ allot.DataService = (*DB)(nil)

// dataInput is one user an event may change the data of.
type dataInput struct {
	user *allot.User
	ev   allot.DataEvent
}

const userDataColumns = `user_id, upn, mailbox_state, mailbox_created_at, mailbox_since, mailbox_purge_at, files_state, files_since, files_delete_at, mailbox_plan_id, files_plan_id`

func scanUserData(row scanner, tenantID string) (allot.UserData, error) {
	return newDataScan().scan(row, tenantID)
}

// dataScan reads rows of userDataColumns into destinations it reuses:
// scanned into a function's locals, eight of them escaped for each row,
// 0.8 M allocations of a 100,000-user bulk change's read (wave 18).
type dataScan struct {
	d                  allot.UserData
	mailbox, files     string
	mc, ms, mp, fs, fd int64
	dest               []any
}

func newDataScan() *dataScan {
	s := &dataScan{}
	s.dest = []any{&s.d.UserID, &s.d.UserPrincipalName, &s.mailbox, &s.mc, &s.ms, &s.mp, &s.files, &s.fs, &s.fd, &s.d.MailboxPlanID, &s.d.FilesPlanID}
	return s
}

// scan reads the row's data, of the tenant tenantID.
func (s *dataScan) scan(row scanner, tenantID string) (allot.UserData, error) {
	err := row.Scan(s.dest...)
	d := allot.UserData{TenantID: tenantID, UserID: s.d.UserID, UserPrincipalName: s.d.UserPrincipalName,
		Mailbox: allot.MailboxState(s.mailbox), Files: allot.FilesState(s.files), MailboxPlanID: s.d.MailboxPlanID, FilesPlanID: s.d.FilesPlanID}
	d.MailboxCreatedAt, d.MailboxSince, d.MailboxPurgeAt = fromMicros(s.mc), fromMicros(s.ms), fromMicros(s.mp)
	d.FilesSince, d.FilesDeleteAt = fromMicros(s.fs), fromMicros(s.fd)
	return d, err
}

// recordedData is users' recorded data in user id order.
type recordedData []allot.UserData

// find returns the recorded data of the user id.
func (r recordedData) find(id string) (allot.UserData, bool) {
	i := sort.Search(len(r), func(i int) bool { return r[i].UserID >= id })
	if i == len(r) || r[i].UserID != id {
		return allot.UserData{}, false
	}
	return r[i], true
}

// loadUserData reads the recorded data of the users ids; users with none
// recorded are absent. A slice rather than a map: a bulk change's 100,000
// rows in a map were 33 MB more for the collector (wave 18).
func (tx *Tx) loadUserData(ctx context.Context, tenantID string, ids []string) (recordedData, error) {
	out := make(recordedData, 0, len(ids))
	scan := newDataScan()
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		args := keyArgs(tenantID, chunk)
		rows, err := tx.QueryContext(ctx, `SELECT `+userDataColumns+` FROM user_data WHERE tenant_id = $1 AND user_id IN (`+tx.db.d.placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			d, err := scan.scan(rows, tenantID)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// SQLite reads the rows in key order, PostgreSQL in any.
	for i := 1; i < len(out); i++ {
		if out[i-1].UserID > out[i].UserID {
			sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
			break
		}
	}
	return out, nil
}

// heldUsers returns which of the users an active hold covers.
func (tx *Tx) heldUsers(ctx context.Context, tenantID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	// Most tenants hold no one, which one seek of the index says, instead
	// of a lookup of each user: 0.15 s of W5's reader (wave 15).
	var holding bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM holds WHERE tenant_id = $1 AND released_at IS NULL)`, tenantID).Scan(&holding); err != nil || !holding {
		return out, err
	}
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		args := keyArgs(tenantID, chunk)
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT user_id FROM holds WHERE tenant_id = $1 AND released_at IS NULL AND user_id IN (`+tx.db.d.placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fileRetention returns the tenant's file retention.
func (tx *Tx) fileRetention(ctx context.Context, tenantID string) (time.Duration, error) {
	var days int64
	err := tx.QueryRowContext(ctx, `SELECT file_retention_days FROM tenants WHERE tenant_id = $1`, tenantID).Scan(&days)
	return time.Duration(days) * 24 * time.Hour, err
}

// changeData applies allot.NextUserData to the users of one tenant whose
// data the events may change, writes the data that changed, and records
// the impacts on tx for previews (keepImpacts). The change's own audit events (a
// license change, a deletion, a restore) record what caused it; only the
// lifecycle's changes are audited as data.update (dataexpire.go).
func (tx *Tx) changeData(ctx context.Context, tenantID string, ins []dataInput) error {
	changed, err := tx.nextDataRows(ctx, tenantID, ins)
	if err != nil {
		return err
	}
	return tx.storeUserData(ctx, tenantID, changed)
}

// storedData is what the data rules read of some users besides the
// event: their recorded data (users with none recorded are absent) and
// which of them a hold covers.
type storedData struct {
	rows recordedData
	held map[string]bool
}

// readData reads the stored data of the users ids.
func (tx *Tx) readData(ctx context.Context, tenantID string, ids []string) (storedData, error) {
	rows, err := tx.loadUserData(ctx, tenantID, ids)
	if err != nil {
		return storedData{}, err
	}
	held, err := tx.heldUsers(ctx, tenantID, ids)
	return storedData{rows, held}, err
}

// dataUsers returns the ids of the users whose data the events may change.
func (tx *Tx) dataUsers(ins []dataInput) []string {
	var ids []string
	for i := range ins {
		if ins[i].ev.MayChange(tx.db.catalog) {
			ids = append(ids, ins[i].user.ID)
		}
	}
	return ids
}

// nextData applies allot.NextUserData as changeData does, records the
// impacts on tx, and returns the data that changed, writing nothing.
func (tx *Tx) nextData(ctx context.Context, tenantID string, ins []dataInput) ([]allot.UserData, error) {
	rows, err := tx.nextDataRows(ctx, tenantID, ins)
	out := make([]allot.UserData, len(rows))
	for i := range rows {
		out[i] = rows[i].UserData
	}
	return out, err
}

// dataRow is a user's data about to be written, and whether a row holds
// it already (an UPDATE rather than an INSERT), with the cells that
// differ from that row's.
type dataRow struct {
	allot.UserData
	exists bool
	set    uint16 // bits of dataColumns, when exists
}

// nextDataRows is nextData, saying of each row whether it exists.
func (tx *Tx) nextDataRows(ctx context.Context, tenantID string, ins []dataInput) ([]dataRow, error) {
	ids := tx.dataUsers(ins)
	if len(ids) == 0 {
		return nil, nil
	}
	stored, err := tx.readData(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	return tx.keep(nextRows(tx.db.catalog, tenantID, ins, stored, len(ids), tx.keepImpacts)), nil
}

// dataNext is what the data rules make of some users' events and stored
// data: the rows to write, and what the transaction keeps of them (keep).
type dataNext struct {
	rows      []dataRow
	mailboxes []userMailbox      // the state each user's entitlement carries
	impacts   []allot.DataImpact // for a preview only
}

type userMailbox struct {
	userID  string
	mailbox allot.MailboxState
}

// nextRows applies the data rules to the events ins over the stored data
// of the n users of ins whose data the events may change, keeping their
// impacts if asked. It reads nothing but its arguments, so that a bulk
// change's prefetch can run it beside the writer (dataPrefetch).
func nextRows(c *allot.Catalog, tenantID string, ins []dataInput, stored storedData, n int, impacts bool) dataNext {
	old, held := stored.rows, stored.held
	next := dataNext{rows: make([]dataRow, 0, n), mailboxes: make([]userMailbox, 0, n)}
	if impacts {
		next.impacts = make([]allot.DataImpact, 0, n)
	}
	for i := range ins {
		in := &ins[i]
		if !in.ev.MayChange(c) {
			continue
		}
		before, exists := old.find(in.user.ID)
		stored := cellsOf(&before)
		before.TenantID, before.UserID, before.UserPrincipalName = tenantID, in.user.ID, in.user.UserPrincipalName
		ev := in.ev
		ev.Held = held[in.user.ID]
		after := allot.NextUserData(c, before, ev)
		if impacts {
			next.impacts = append(next.impacts, allot.Impact(before, after, ev.Held))
		}
		next.mailboxes = append(next.mailboxes, userMailbox{in.user.ID, allot.CheckedMailbox(after.Mailbox, ev.Held)})
		if !after.Equal(&before) {
			r := dataRow{UserData: after, exists: exists}
			if exists {
				c := cellsOf(&after)
				r.set = c.differ(&stored)
			}
			next.rows = append(next.rows, r)
		}
	}
	return next
}

// keep records on tx what next says of its users, their mailbox states
// and the impacts of a preview, and returns next's rows.
func (tx *Tx) keep(next dataNext) []dataRow {
	switch {
	case tx.keepImpacts && tx.impacts == nil:
		tx.impacts = next.impacts // a bulk dry run's 100 k, not copied
	case tx.keepImpacts:
		tx.impacts = append(tx.impacts, next.impacts...)
	}
	if tx.mailboxes == nil {
		tx.mailboxes = make(map[string]allot.MailboxState, len(next.mailboxes))
	}
	for _, m := range next.mailboxes {
		tx.mailboxes[m.userID] = m.mailbox
	}
	return next.rows
}

// dataEvent is the audit event of a change of a user's data.
func dataEvent(im *allot.DataImpact) auditEvent {
	return auditEvent{action: allot.AuditDataUpdate, targetType: "user", targetID: im.UserID, before: userDataJSON(im.Before), after: userDataJSON(im.After)}
}

func userDataJSON(d allot.UserData) map[string]any {
	m := map[string]any{"mailbox": string(d.Mailbox), "files": string(d.Files)}
	if !d.MailboxPurgeAt.IsZero() {
		m["mailboxPurgeAt"] = d.MailboxPurgeAt
	}
	if !d.FilesDeleteAt.IsZero() {
		m["filesDeleteAt"] = d.FilesDeleteAt
	}
	return m
}

// writeUserData stores the data of users of one tenant, inserting or
// replacing their rows.
func (tx *Tx) writeUserData(ctx context.Context, tenantID string, ds []allot.UserData) error {
	const n = 13
	for start := 0; start < len(ds); start += bulkChunk {
		chunk := ds[start:min(start+bulkChunk, len(ds))]
		var q strings.Builder
		q.WriteString(`INSERT INTO user_data (tenant_id, ` + userDataColumns + `, due_at) VALUES `)
		args := make([]any, 0, n*len(chunk))
		for i, d := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + tx.db.d.placeholders(len(args)+1, n) + ")")
			args = append(args, tenantID)
			args = append(args, userDataArgs(d)...)
		}
		q.WriteString(` ON CONFLICT (tenant_id, user_id) DO UPDATE SET upn = excluded.upn, mailbox_state = excluded.mailbox_state,
			mailbox_created_at = excluded.mailbox_created_at, mailbox_since = excluded.mailbox_since, mailbox_purge_at = excluded.mailbox_purge_at,
			files_state = excluded.files_state, files_since = excluded.files_since, files_delete_at = excluded.files_delete_at,
			mailbox_plan_id = excluded.mailbox_plan_id, files_plan_id = excluded.files_plan_id, due_at = excluded.due_at`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// storeUserData writes the data rows of changeData. Where a statement
// that may fail half-way costs a statement journal (SQLite), the rows that
// exist are updated and the others inserted, each with OR FAIL, which
// needs none; elsewhere one upsert writes them all.
//
// The rows that exist and change alike (the same cells set to the same
// values: a bulk change's users, all disconnected at one instant) are
// updated by groups, with statements that name the users and bind the
// values once (updateDataGroup); the others one by one from a list of
// values (updateUserData).
func (tx *Tx) storeUserData(ctx context.Context, tenantID string, rows []dataRow) error {
	if !tx.db.d.statementJournal {
		ds := make([]allot.UserData, len(rows))
		for i := range rows {
			ds[i] = rows[i].UserData
		}
		return tx.writeUserData(ctx, tenantID, ds)
	}
	type alike struct { // the cells a row changes and their new values
		set   uint16
		cells dataCells
	}
	groups := map[alike][]int{} // indexes in rows, in their order
	var inserts [][]any
	for i := range rows {
		if rows[i].exists {
			c := alike{rows[i].set, cellsOf(&rows[i].UserData).only(rows[i].set)}
			groups[c] = append(groups[c], i)
		} else {
			inserts = append(inserts, append([]any{tenantID}, userDataArgs(rows[i].UserData)...))
		}
	}
	var alone []int
	for c, is := range groups {
		if c.set == 0 {
			continue // as stored already
		}
		if len(is) < minDataGroup {
			alone = append(alone, is...)
			continue
		}
		ids := make([]string, len(is))
		for j, i := range is {
			ids[j] = rows[i].UserID
		}
		if err := tx.updateDataGroup(ctx, tenantID, c.set, &c.cells, ids); err != nil {
			return err
		}
	}
	slices.Sort(alone) // in the rows' order: by user id in a bulk change, the pages' order
	updates := make([][]any, len(alone))
	for j, i := range alone {
		updates[j] = userDataArgs(rows[i].UserData)
	}
	if err := tx.updateUserData(ctx, tenantID, updates); err != nil {
		return err
	}
	return tx.insertRows(ctx, tx.db.d.insertOrFail()+` user_data (tenant_id, `+userDataColumns+`, due_at)`, 13, inserts)
}

// minDataGroup is the fewest rows changing alike that storeUserData
// updates as a group.
const minDataGroup = 16

// updateDataGroup sets the cells set of the data rows of the users ids
// to the values of c, bulkChunk users a statement.
func (tx *Tx) updateDataGroup(ctx context.Context, tenantID string, set uint16, c *dataCells, ids []string) error {
	var vals []any
	for col := range dataColumns {
		if set&(1<<col) != 0 {
			vals = append(vals, c.value(col))
		}
	}
	vals = append(vals, tenantID)
	for start := 0; start < len(ids); start += bulkChunk {
		chunk := ids[start:min(start+bulkChunk, len(ids))]
		args := make([]any, 0, len(vals)+len(chunk))
		args = append(args, vals...)
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, tx.db.dataGroupUpdate(set, len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}

// dataGroupUpdate is updateDataGroup's statement for n users: the values
// of the cells set, the tenant, then the user ids.
func (db *DB) dataGroupUpdate(set uint16, n int) string {
	var q strings.Builder
	q.WriteString(db.d.updateOrFail() + ` user_data SET `)
	k := 0
	for col := range dataColumns {
		if set&(1<<col) != 0 {
			if k++; k > 1 {
				q.WriteString(", ")
			}
			q.WriteString(dataColumns[col].name + " = " + db.d.placeholders(k, 1))
		}
	}
	q.WriteString(` WHERE tenant_id = ` + db.d.placeholders(k+1, 1) + ` AND user_id IN (` + db.d.placeholders(k+2, n) + `)`)
	return q.String()
}

// dataColumns are the columns of a user_data row after its key, in
// userDataArgs' order, each a text or an integer cell of dataCells.
var dataColumns = [...]struct {
	name string
	text bool // else an integer
	i    int  // the cell's index in dataCells.text or dataCells.num
}{{"upn", true, 0}, {"mailbox_state", true, 1}, {"mailbox_created_at", false, 0}, {"mailbox_since", false, 1},
	{"mailbox_purge_at", false, 2}, {"files_state", true, 2}, {"files_since", false, 3}, {"files_delete_at", false, 4},
	{"mailbox_plan_id", true, 3}, {"files_plan_id", true, 4}, {"due_at", false, dueCell}}

// dataCells are the values of a user's data row after its key, as stored.
type dataCells struct {
	text [5]string
	num  [6]int64 // num[dueCell] is due_at's, NULL unless due
	due  bool
}

const dueCell = 5

func cellsOf(d *allot.UserData) dataCells {
	c := dataCells{
		text: [5]string{d.UserPrincipalName, string(d.Mailbox), string(d.Files), d.MailboxPlanID, d.FilesPlanID},
		num:  [6]int64{micros(d.MailboxCreatedAt), micros(d.MailboxSince), micros(d.MailboxPurgeAt), micros(d.FilesSince), micros(d.FilesDeleteAt)},
	}
	if t := d.DueAt(); !t.IsZero() {
		c.num[dueCell], c.due = micros(t), true
	}
	return c
}

// value is the value of dataColumns[col].
func (c *dataCells) value(col int) any {
	switch k := dataColumns[col]; {
	case k.text:
		return c.text[k.i]
	case k.i == dueCell:
		return sql.NullInt64{Int64: c.num[k.i], Valid: c.due}
	default:
		return c.num[k.i]
	}
}

// differ returns the bits of the columns whose values differ in c and o.
func (c *dataCells) differ(o *dataCells) uint16 {
	var set uint16
	for col, k := range dataColumns {
		if k.text && c.text[k.i] != o.text[k.i] || !k.text && c.num[k.i] != o.num[k.i] || k.i == dueCell && !k.text && c.due != o.due {
			set |= 1 << col
		}
	}
	return set
}

// only returns c with the cells outside set cleared.
func (c dataCells) only(set uint16) dataCells {
	var o dataCells
	for col, k := range dataColumns {
		switch {
		case set&(1<<col) == 0:
		case k.text:
			o.text[k.i] = c.text[k.i]
		default:
			o.num[k.i] = c.num[k.i]
			if k.i == dueCell {
				o.due = c.due
			}
		}
	}
	return o
}

// updateUserData rewrites existing data rows, each given as userDataArgs,
// with one UPDATE … FROM (VALUES …) per chunk that looks each row up by its
// primary key (TestUserDataUpdatePlan).
func (tx *Tx) updateUserData(ctx context.Context, tenantID string, rows [][]any) error {
	for start := 0; start < len(rows); start += bulkChunk {
		chunk := rows[start:min(start+bulkChunk, len(rows))]
		args := make([]any, 0, 12*len(chunk)+1)
		for _, r := range chunk {
			args = append(args, r...)
		}
		args = append(args, tenantID)
		if _, err := tx.ExecContext(ctx, tx.db.userDataUpdate(len(chunk)), args...); err != nil {
			return err
		}
	}
	return nil
}

// userDataUpdate is updateUserData's statement for n rows: their
// userDataArgs, then the tenant.
func (db *DB) userDataUpdate(n int) string {
	var q strings.Builder
	q.WriteString(db.d.updateOrFail() + ` user_data SET upn = v.column2, mailbox_state = v.column3, mailbox_created_at = v.column4,
		mailbox_since = v.column5, mailbox_purge_at = v.column6, files_state = v.column7, files_since = v.column8,
		files_delete_at = v.column9, mailbox_plan_id = v.column10, files_plan_id = v.column11, due_at = v.column12 FROM (VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + db.d.placeholders(12*i+1, 12) + ")")
	}
	q.WriteString(`) AS v WHERE user_data.tenant_id = ` + db.d.placeholders(12*n+1, 1) + ` AND user_data.user_id = v.column1`)
	return q.String()
}

// userDataArgs are the values of userDataColumns and due_at for d (due_at
// last).
func userDataArgs(d allot.UserData) []any {
	c := cellsOf(&d)
	args := make([]any, 1, 1+len(dataColumns))
	args[0] = d.UserID
	for col := range dataColumns {
		args = append(args, c.value(col))
	}
	return args
}

// licenseData applies a license change of one user to its data.
func (tx *Tx) licenseData(ctx context.Context, p allot.Principal, u *allot.User, before, after []allot.License) error {
	return tx.changeData(ctx, p.TenantID, []dataInput{{u, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: before, After: after, Now: tx.dataNow()}}})
}

// FindUserData implements allot.DataService.
func (db *DB) FindUserData(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.UserData, error) {
	if err := allot.AuthorizeNamed(p, idOrUPN); err != nil {
		return nil, err
	}
	var out *allot.UserData
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.findUserData(ctx, p.TenantID, idOrUPN)
		return err
	})
	return out, err
}

// findUserData returns the data of a user (deleted ones included, and by
// id purged ones whose data is recorded). A user licensed before its data
// was recorded has the state its licenses give it.
func (tx *Tx) findUserData(ctx context.Context, tenantID, idOrUPN string) (*allot.UserData, error) {
	u, err := tx.findAnyUser(ctx, tenantID, idOrUPN)
	if allot.ErrorCode(err) == allot.ENOTFOUND && !strings.Contains(idOrUPN, "@") {
		d, derr := scanUserData(tx.QueryRowContext(ctx, `SELECT `+userDataColumns+` FROM user_data WHERE tenant_id = $1 AND user_id = $2`, tenantID, strings.ToLower(strings.TrimSpace(idOrUPN))), tenantID)
		if errors.Is(derr, sql.ErrNoRows) {
			return nil, err
		}
		return &d, derr
	} else if err != nil {
		return nil, err
	}
	m, err := tx.loadUserData(ctx, tenantID, []string{u.ID})
	if err != nil {
		return nil, err
	}
	d, _ := m.find(u.ID)
	d.TenantID, d.UserID, d.UserPrincipalName = tenantID, u.ID, u.UserPrincipalName
	if u.Licenses, err = tx.findLicenses(ctx, tenantID, u.ID); err != nil {
		return nil, err
	}
	d = allot.NextUserData(tx.db.catalog, d, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: u.Licenses, After: u.Licenses})
	return &d, nil
}

// findAnyUser returns the user with the id or userPrincipalName, active
// or else deleted (the most recently deleted of a reused name).
func (tx *Tx) findAnyUser(ctx context.Context, tenantID, idOrUPN string) (*allot.User, error) {
	key := strings.ToLower(strings.TrimSpace(idOrUPN))
	col := "u.user_id"
	if strings.Contains(key, "@") {
		col = "u.upn_lower"
	}
	q := `SELECT ` + userColumns + ` FROM users u WHERE u.tenant_id = $1 AND ` + col + ` = $2 ORDER BY u.deleted_at IS NOT NULL, u.deleted_at DESC LIMIT 1`
	u, err := scanUser(tx.QueryRowContext(ctx, q, tenantID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(idOrUPN)
	}
	return u, err
}

// dataNow is the transaction's time as the data lifecycle records it, to
// the microsecond.
func (tx *Tx) dataNow() time.Time { return tx.now.Truncate(time.Microsecond) }

// bulkData applies the license changes of one chunk of a bulk change to
// the users' data, from what the prefetch made of it, or reading it.
func (tx *Tx) bulkData(ctx context.Context, tenantID string, ins []dataInput, pre *dataPrefetch) error {
	p, ok := pre.next()
	if !ok {
		return tx.changeData(ctx, tenantID, ins)
	}
	return tx.storeUserData(ctx, tenantID, tx.keep(p.next))
}

// dataPrefetch reads the stored data of a bulk change's users on a reader
// connection, bulkDataChunk users after another, and applies the data
// rules to it (nextRows), while the writer moves their versions on and
// writes their licenses: the read was about 0.5 s of W5's write at 1 M
// users (docs/performance.md, wave 13), and the rules 0.15–0.2 s (wave
// 18), on the one goroutine every write waits for, with a second core
// idle beside it.
//
// What the reader sees is what the writer would read: the reader's
// snapshot is the last commit, taken after the writer began its
// transaction, which no other write can commit into; nothing was written
// in the transaction before the bulk change (tx.pristine), and the bulk
// change writes no data row or hold before its data step, whose chunks
// name different users.
type dataPrefetch struct {
	db     *DB
	chunks <-chan prefetched
	stop   context.CancelFunc
	done   chan struct{}
}

// prefetched is what the data rules made of one chunk.
type prefetched struct {
	next dataNext
	err  error
}

// prefetchData starts reading the stored data of the users of ins and
// applying the data rules to it, in chunks of bulkDataChunk; nil where it cannot (a transaction that wrote
// before the bulk change, PostgreSQL) or a single chunk would gain
// nothing. Close it when done.
func (tx *Tx) prefetchData(ctx context.Context, tenantID string, ins []dataInput) *dataPrefetch {
	if !tx.pristine || len(ins) <= bulkDataChunk {
		return nil
	}
	c, impacts := tx.db.catalog, tx.keepImpacts
	ctx, stop := context.WithCancel(ctx)
	// As far ahead as the change goes: the writer reaches the data step
	// after its versions, licenses and audit rows (0.7-0.9 s of W5), and a
	// prefetch held one chunk ahead had waited most of that time, then
	// kept the writer waiting (wave 18). What it holds is the rows to
	// write, about 300 bytes a user: 30 MB at MaxBulkUsers, for the one
	// bulk change the writer runs at a time.
	out := make(chan prefetched, (len(ins)+bulkDataChunk-1)/bulkDataChunk)
	pre := &dataPrefetch{db: tx.db, chunks: out, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(pre.done)
		defer close(out)
		tx.db.view(ctx, func(rtx *Tx) error {
			rtx.lends = true // the writer's work, on another connection
			for start := 0; start < len(ins); start += bulkDataChunk {
				var p prefetched
				chunk := ins[start:min(start+bulkDataChunk, len(ins))]
				if ids := tx.dataUsers(chunk); len(ids) > 0 {
					stored, err := rtx.readData(ctx, tenantID, ids)
					if p.err = err; err == nil {
						p.next = nextRows(c, tenantID, chunk, stored, len(ids), impacts)
					}
				}
				select {
				case out <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
				if p.err != nil {
					return p.err
				}
			}
			return nil
		})
	}()
	return pre
}

// next returns what the rules made of the next chunk, or false once the
// prefetch failed (or there is none): the writer then reads it for itself.
func (pre *dataPrefetch) next() (prefetched, bool) {
	if pre == nil {
		return prefetched{}, false
	}
	p, ok := <-pre.chunks
	if !ok || p.err != nil {
		return prefetched{}, false
	}
	pre.db.prefetched.Add(1)
	return p, true
}

// close stops the prefetch and waits for its goroutine to end.
func (pre *dataPrefetch) close() {
	if pre != nil {
		pre.stop()
		<-pre.done
	}
}

// bulkDataInputs are the data events of the license changes of a bulk
// change.
func (tx *Tx) bulkDataInputs(todo []bulkUser) []dataInput {
	ins := make([]dataInput, len(todo))
	for i, bu := range todo {
		ins[i] = dataInput{bu.user, allot.DataEvent{Kind: allot.DataLicensesChanged, Before: bu.plan.Before, After: bu.plan.After, Now: tx.dataNow()}}
	}
	return ins
}

// deletedData applies a user's deletion to its data (u.Licenses are the
// licenses it had).
func (tx *Tx) deletedData(ctx context.Context, tenantID string, u *allot.User) error {
	retention, err := tx.fileRetention(ctx, tenantID)
	if err != nil {
		return err
	}
	return tx.changeData(ctx, tenantID, []dataInput{{u, allot.DataEvent{Kind: allot.DataUserDeleted, Before: u.Licenses, FileRetention: retention, Now: tx.dataNow()}}})
}
