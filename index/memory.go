package index

import "unsafe"

// Bytes returns the memory the index's users hold: the capacity of every
// tenant's slices and lookup tables. It is what the garbage collector
// marks without scanning, and what a heap limit sized to the rest of the
// heap should leave out (see cmd/internal/server's memory tuning).
func (ix *Index) Bytes() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var n int64
	for _, t := range ix.tenants {
		n += t.bytes()
	}
	return n
}

// bytes is Bytes for one tenant.
func (t *tenant) bytes() int64 {
	return int64(cap(t.users))*int64(unsafe.Sizeof(entry{})) +
		int64(cap(t.free))*4 +
		int64(cap(t.rows))*8 +
		int64(cap(t.upns)) +
		int64(cap(t.lics))*int64(unsafe.Sizeof(lic{})) +
		int64(cap(t.byID.cells)+cap(t.byUPN.cells))*4 +
		int64(cap(t.profAt))*4 + t.profsCap()
}
