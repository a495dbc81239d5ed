package index

// table is an open-addressing hash table of user slots: each cell holds a
// slot of tenant.users plus one, 0 for an empty cell. Linear probing, a
// power-of-two size, at most half full; removal shifts the following cells
// back instead of leaving tombstones. It holds no pointers, so the garbage
// collector never scans it.
type table struct {
	cells []uint32
	n     int
}

// newTable returns a table sized for n entries.
func newTable(n int) table {
	size := 8
	for size < 2*n+2 {
		size *= 2
	}
	return table{cells: make([]uint32, size)}
}

func (tb *table) mask() uint64 { return uint64(len(tb.cells) - 1) }

// insert adds slot, whose key hashes to h; hashOf gives the hash of any
// slot's key, for growing.
func (tb *table) insert(h uint64, slot uint32, hashOf func(uint32) uint64) {
	if 2*(tb.n+1) > len(tb.cells) {
		tb.grow(hashOf)
	}
	m := tb.mask()
	i := h & m
	for tb.cells[i] != 0 {
		i = (i + 1) & m
	}
	tb.cells[i] = slot + 1
	tb.n++
}

// grow doubles the table (or makes the first one).
func (tb *table) grow(hashOf func(uint32) uint64) {
	old := tb.cells
	*tb = newTable(max(tb.n, len(old)))
	m := tb.mask()
	for _, c := range old {
		if c == 0 {
			continue
		}
		i := hashOf(c-1) & m
		for tb.cells[i] != 0 {
			i = (i + 1) & m
		}
		tb.cells[i] = c
		tb.n++
	}
}

// remove takes slot, whose key hashes to h, out of the table, if there.
func (tb *table) remove(h uint64, slot uint32, hashOf func(uint32) uint64) {
	if len(tb.cells) == 0 {
		return
	}
	m := tb.mask()
	i := h & m
	for tb.cells[i] != slot+1 {
		if tb.cells[i] == 0 {
			return
		}
		i = (i + 1) & m
	}
	// Shift back every following cell of the run that may not stay
	// behind the hole it would leave: one whose home is not cyclically
	// within (i, j].
	for j := (i + 1) & m; tb.cells[j] != 0; j = (j + 1) & m {
		home := hashOf(tb.cells[j]-1) & m
		if (j-home)&m >= (j-i)&m {
			tb.cells[i] = tb.cells[j]
			i = j
		}
	}
	tb.cells[i] = 0
	tb.n--
}
