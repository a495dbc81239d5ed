package web

import (
	"net/http"

	"github.com/allot-project/allot"
)

// registerDomainRoutes registers Domains: the organization's domains,
// read by administrators. Adding one is an operator's action (allot
// domains add), not a page's.
func (h *Handler) registerDomainRoutes() {
	h.mux.Handle("GET /domains", h.page(h.domains))
}

// domainsPage is the data of Domains.
type domainsPage struct {
	base
	Domains []*allot.Domain
}

// domains lists the organization's domains, the default first.
func (h *Handler) domains(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	if h.svc.Domains == nil {
		return &allot.Error{Code: allot.ENOTFOUND, Message: "No domains here."}
	}
	ds, err := h.svc.Domains.FindDomains(r.Context(), s.p)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "domains", &domainsPage{base: h.base(r, "domains.title", "domains"), Domains: ds})
	return nil
}
