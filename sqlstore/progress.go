package sqlstore

import "github.com/allot-project/allot"

// bulkWriteSteps is how many steps writeBulk counts for each user it
// writes (allot.Progress): versions, licenses, data, audit.
const bulkWriteSteps = 4

// progress tells a change's allot.Progress callback how far it has come.
// A nil callback makes every report a no-op.
type progress struct {
	report func(allot.Progress)
	p      allot.Progress
}

// newProgress starts the progress of total users or rows, each of which
// may be written in up to steps steps, and reports it.
func newProgress(report func(allot.Progress), total, steps int) *progress {
	pr := &progress{report: report, p: allot.Progress{Total: total, Work: total * (1 + steps)}}
	pr.send()
	return pr
}

// planned reports n users or rows planned.
func (pr *progress) planned(n int) {
	pr.p.Planned, pr.p.Done = n, n
	pr.send()
}

// writing reports the planning ended and units of writing to come.
func (pr *progress) writing(units int) {
	pr.p.Planned, pr.p.Done, pr.p.Work = pr.p.Total, pr.p.Total, pr.p.Total+units
	pr.send()
}

// wrote reports units of the writing done.
func (pr *progress) wrote(units int) {
	pr.p.Done = min(pr.p.Done+units, pr.p.Work)
	pr.send()
}

func (pr *progress) send() {
	if pr.report != nil {
		pr.report(pr.p)
	}
}
