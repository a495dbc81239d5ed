package graph

import (
	"net/http"

	"github.com/allot-project/allot"
)

// domainType renders microsoft.graph.domain.
//
// Decisions (allot has no DNS, federation or passwords): every domain is
// Managed, admin-managed and a root domain, verified by the operator who
// added it; it supports the "Email" service; availabilityStatus and state
// are null as Graph answers outside a verification; the password policy
// fields say what Microsoft says for "passwords never expire" (validity
// 2147483647 days, notice 14 days).
var domainType = &entityType[*allot.Domain]{
	name: "microsoft.graph.domain",
	props: map[string]func(*allot.Domain) any{
		"id":                               func(d *allot.Domain) any { return d.Name },
		"authenticationType":               func(*allot.Domain) any { return "Managed" },
		"availabilityStatus":               func(*allot.Domain) any { return nil },
		"isAdminManaged":                   func(*allot.Domain) any { return true },
		"isDefault":                        func(d *allot.Domain) any { return d.IsDefault },
		"isInitial":                        func(d *allot.Domain) any { return d.IsInitial },
		"isRoot":                           func(*allot.Domain) any { return true },
		"isVerified":                       func(d *allot.Domain) any { return d.IsVerified },
		"passwordNotificationWindowInDays": func(*allot.Domain) any { return 14 },
		"passwordValidityPeriodInDays":     func(*allot.Domain) any { return 2147483647 },
		"supportedServices":                func(*allot.Domain) any { return []string{"Email"} },
		"state":                            func(*allot.Domain) any { return nil },
	},
	defaults: []string{"id", "authenticationType", "availabilityStatus", "isAdminManaged", "isDefault", "isInitial", "isRoot",
		"isVerified", "passwordNotificationWindowInDays", "passwordValidityPeriodInDays", "supportedServices", "state"},
}

func (s *Server) registerDomainRoutes() {
	s.route("GET /v1.0/domains", s.listDomains)
	s.route("GET /v1.0/domains/{id}", s.getDomain)
}

// listDomains answers GET /domains: the tenant's domains, the default first.
func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, domainType)
	if err != nil {
		return err
	}
	ds, err := s.svc.Domains.FindDomains(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	return sel.writeCollection(w, r, "domains", ds)
}

// getDomain answers GET /domains/{id}, the id being the domain's name in
// any case.
func (s *Server) getDomain(w http.ResponseWriter, r *http.Request) error {
	sel, err := parseSelect(r, domainType)
	if err != nil {
		return err
	}
	d, err := s.svc.Domains.FindDomain(r.Context(), principalFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return sel.writeEntity(w, r, "domains", d)
}

// checkUPNDomain refuses, as Graph does, a userPrincipalName on a domain
// the caller's tenant does not have.
func (s *Server) checkUPNDomain(r *http.Request, upn string) error {
	ds, err := s.svc.Domains.FindDomains(r.Context(), principalFrom(r))
	if err != nil {
		return err
	}
	return allot.CheckUPNDomain(upn, ds)
}
