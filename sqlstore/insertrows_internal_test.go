package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// TestInsertRowsShared inserts the same rows into a table of every kind of
// value a row holds, once binding the values a statement's rows share once
// (SQLite's sharedValues) and once listing every value per row, and
// compares the tables value by value, types included. The rows share some
// columns in some statements and not in others, hold NULLs and bytes (never
// shared), and span several statements.
func TestInsertRowsShared(t *testing.T) {
	ctx := context.Background()
	const n = 6
	per := 6000 / n
	r := rand.New(rand.NewPCG(3, 4))
	var rows [][]any
	for i := range 3*per + 7 {
		part := i / per // the statement the row falls in
		row := []any{"t", fmt.Sprintf("u%05d", i), int64(part), nil, []byte("b"), i%2 == 0}
		if part == 1 {
			row[0] = fmt.Sprint("t", r.IntN(3)) // not shared in that statement
		}
		if part == 2 {
			row[3] = sql.NullInt64{Int64: 7, Valid: true}
		}
		if i == 3*per+6 {
			row[2] = 99 // an int, not an int64, in the last statement
		}
		rows = append(rows, row)
	}
	var tables [2]string
	for k, shared := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "allot.db")
		db, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.d.sharedValues = shared
		err = db.update(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE kinds (a TEXT NOT NULL, b TEXT NOT NULL, c INTEGER NOT NULL, d INTEGER, e BLOB, f BOOLEAN)`); err != nil {
				return err
			}
			return tx.insertRows(ctx, `INSERT INTO kinds (a, b, c, d, e, f)`, n, rows)
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		tables[k] = dumpQuery(t, path, `SELECT a, b, c, d, e, f, typeof(c), typeof(d), typeof(e), typeof(f) FROM kinds ORDER BY b`)
	}
	if got, want := strings.Count(tables[0], "\n"), len(rows); got != want {
		t.Fatalf("%d rows inserted, want %d", got, want)
	}
	if tables[0] != tables[1] {
		t.Errorf("rows inserted with shared values differ from those listed row by row:\n%s", firstDiff(tables[1], tables[0]))
	}
	if s := sharedColumns(rows[:per], n); s != 1<<0|1<<2|1<<3 {
		t.Errorf("shared columns of the first statement: %06b, want a, c and d", s)
	}
}
