package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/allot-project/allot"
)

// testPreviewIsOutcome makes random sequences of license changes,
// deletions, restores, holds, offboardings (with and without a hold and a
// successor) and the passing of time, and checks that each
// preview said what then happened (the same refusal, or the same data
// state), and that no mailbox or file stays past the date it was due.
func testPreviewIsOutcome(t *testing.T, open Opener) {
	offboarded := 0
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			f := NewFixture(t, open, 5)
			p := &previewRun{f: f, rng: rand.New(rand.NewPCG(seed, 10)), holds: map[string]string{}}
			for i := 0; i < 4; i++ {
				p.users = append(p.users, f.User(fmt.Sprintf("p%d@contoso.example", i), "FR").ID)
			}
			for step := 0; step < 80; step++ {
				p.step(t)
			}
			if p.changed < 5 {
				t.Errorf("only %d previews of a data change: the sequence tests little", p.changed)
			}
			offboarded += p.offboarded
			f.CheckCounters()
		})
	}
	if offboarded < 3 {
		t.Errorf("only %d offboardings made: the sequences test little of them", offboarded)
	}
}

type previewRun struct {
	f     *Fixture
	rng   *rand.Rand
	users []string
	holds map[string]string // user id -> active hold id

	changed    int // previews that changed a user's data
	offboarded int // offboardings made
}

var previewSKUSets = [][]string{{O365E3}, {BusinessPremium}, {ExchangePlan1}, {ExchangePlan2}, {O365E3, ExchangeArchive}, {}}

func (p *previewRun) step(t *testing.T) {
	t.Helper()
	ctx, f := context.Background(), p.f
	id := p.users[p.rng.IntN(len(p.users))]
	switch p.rng.IntN(8) {
	case 0, 1, 2:
		ch := p.change(id)
		im, perr := f.S.PreviewLicenses(ctx, f.Admin(), id, ch)
		_, err := f.S.AssignLicenses(ctx, f.Admin(), id, ch)
		p.compare(t, fmt.Sprintf("change %+v of %s", ch, id), im, perr, err)
	case 3:
		im, perr := f.S.PreviewDelete(ctx, f.Admin(), id)
		err := f.S.DeleteUser(ctx, f.Admin(), id)
		p.compare(t, "delete "+id, im, perr, err)
	case 4:
		f.S.RestoreUser(ctx, f.Admin(), id) // refused unless deleted; either way fine
	case 5:
		p.toggleHold(t, id)
	case 6:
		f.Clock.Advance(time.Duration(1+p.rng.IntN(20)) * dataDay)
		_, err := f.S.PurgeDeletedUsers(ctx, f.Clock.Now())
		must(t, err)
		f.expire()
		p.nothingOverdue(t)
	case 7:
		p.offboard(t, id)
	}
}

// offboard offboards the user, with or without a hold (never a second
// one, so that toggleHold's release frees the user) and a successor, its
// dry run first.
func (p *previewRun) offboard(t *testing.T, id string) {
	t.Helper()
	ctx, f := context.Background(), p.f
	o := allot.Offboarding{User: id}
	if _, held := p.holds[id]; !held && p.rng.IntN(2) == 0 {
		o.Hold = true
	}
	if p.rng.IntN(2) == 0 {
		o.Successor = p.users[p.rng.IntN(len(p.users))] // the user itself too: refused
	}
	dry := o
	dry.DryRun = true
	pres, perr := f.S.Offboard(ctx, f.Admin(), dry)
	res, err := f.S.Offboard(ctx, f.Admin(), o)
	var im *allot.DataImpact
	if perr == nil {
		im = &pres.Impact
	}
	p.compare(t, fmt.Sprintf("offboard %+v", o), im, perr, err)
	if err == nil && res.Hold != nil {
		p.holds[id] = res.Hold.ID
	}
	if err == nil {
		p.offboarded++
	}
}

// change makes the user's licenses a random set.
func (p *previewRun) change(id string) allot.LicenseChange {
	want := previewSKUSets[p.rng.IntN(len(previewSKUSets))]
	var held []string
	if u, err := p.f.S.FindUser(p.f.ctx, p.f.Sys, id); err == nil {
		held = skuIDs(u.Licenses)
	}
	var ch allot.LicenseChange
	for _, s := range want {
		if !slices.Contains(held, s) {
			ch.Add = append(ch.Add, allot.AssignedLicense{SKUID: s})
		}
	}
	for _, s := range held {
		if !slices.Contains(want, s) {
			ch.Remove = append(ch.Remove, s)
		}
	}
	return ch
}

func (p *previewRun) compare(t *testing.T, what string, im *allot.DataImpact, perr, err error) {
	t.Helper()
	if allot.ErrorCode(perr) != allot.ErrorCode(err) {
		t.Fatalf("%s: preview error %v, change error %v", what, perr, err)
	}
	if err != nil {
		return
	}
	if im.Changed() {
		p.changed++
	}
	got := p.f.data(im.UserID)
	if !got.Equal(&im.After) {
		t.Fatalf("%s: preview said (-) and the change did (+):\n-%+v\n+%+v", what, im.After, got)
	}
}

func (p *previewRun) toggleHold(t *testing.T, id string) {
	t.Helper()
	ctx, f := context.Background(), p.f
	if h, ok := p.holds[id]; ok {
		_, err := f.S.ReleaseHold(ctx, f.Admin(), h)
		must(t, err)
		delete(p.holds, id)
		return
	}
	h := &allot.Hold{UserID: id, Name: "Case"}
	if err := f.S.CreateHold(ctx, f.Admin(), h); allot.ErrorCode(err) == allot.ENOTFOUND {
		return // purged
	} else {
		must(t, err)
	}
	p.holds[id] = h.ID
}

// nothingOverdue fails if a mailbox or unheld files stay past their date,
// or an inactive mailbox stays without a hold.
func (p *previewRun) nothingOverdue(t *testing.T) {
	t.Helper()
	now := p.f.Clock.Now()
	for _, id := range p.users {
		d, err := p.f.S.FindUserData(p.f.ctx, p.f.Sys, id)
		if allot.ErrorCode(err) == allot.ENOTFOUND {
			continue // purged without data
		}
		must(t, err)
		_, held := p.holds[id]
		switch {
		case d.Mailbox == allot.MailboxDisconnected && !now.Before(d.MailboxPurgeAt),
			d.Mailbox == allot.MailboxInactive && !held,
			d.Files == allot.FilesPendingDeletion && !now.Before(d.FilesDeleteAt) && !held:
			t.Fatalf("at %v, %s is overdue: %+v", now, id, *d)
		}
	}
}
