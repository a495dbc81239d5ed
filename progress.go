package allot

// Progress is how far a long change, a bulk license change or an import,
// has come.
//
// Planned of Total users (or rows) are planned. Done of Work counts the
// steps of the whole change: one for each user planned, then, for each
// user the change writes, one for each step of the writing (for a license
// change: the user's version, its licenses, its data, its audit record).
// So Done reaches Work only once everything is written, and Done/Work is
// the part of the change behind it. While planning, Work is counted as if
// every user changed; once planned it is exact, so Done/Work does not
// fall as a change runs, unless the store starts it again (a retried
// transaction starts from zero).
type Progress struct {
	Planned, Total int
	Done, Work     int
}

// Percent returns Done/Work as a whole percentage, 0 while Work is unknown.
func (p Progress) Percent() int {
	if p.Work <= 0 {
		return 0
	}
	return 100 * min(p.Done, p.Work) / p.Work
}
