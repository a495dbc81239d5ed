package web

import (
	"net/http"

	"github.com/allot-project/allot"
)

// impactPage is the data preview of a confirmation: what unassigning does
// to the selected users' mailboxes and files, in the page's language.
type impactPage struct {
	Lines     []string
	Previewed int // users previewed, when fewer than selected
}

// previewUnassign previews what unassigning skuID does to the data of the
// users (at most maxListed of them), with the same rule the change uses
// (allot.NextUserData behind DataService.PreviewLicenses). Nil when the
// store previews nothing; a user the preview refuses is left out, the
// change itself will say why.
func (h *Handler) previewUnassign(r *http.Request, p allot.Principal, b base, skuID string, users []string, selected int) *impactPage {
	if h.svc.Data == nil || len(users) == 0 {
		return nil
	}
	users = users[:min(len(users), maxListed)]
	var impacts []allot.DataImpact
	for _, u := range users {
		im, err := h.svc.Data.PreviewLicenses(r.Context(), p, u, allot.LicenseChange{Remove: []string{skuID}})
		if err == nil {
			impacts = append(impacts, *im)
		}
	}
	s := allot.Summarize(impacts)
	pg := &impactPage{}
	if selected > len(users) {
		pg.Previewed = len(users)
	}
	add := func(n int, key string, args ...any) {
		if n > 0 {
			pg.Lines = append(pg.Lines, b.N(key, n, args...))
		}
	}
	add(s.MailboxesDisconnected, "impact.disconnected", b.Date(s.FirstPurge))
	add(s.Held, "impact.held")
	add(s.MailboxesPurged, "impact.purged")
	add(s.FilesScheduled, "impact.files")
	add(s.NoLongerSearchable, "impact.searchable")
	if len(pg.Lines) == 0 {
		pg.Lines = []string{b.T("impact.none")}
	}
	return pg
}
