package allot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Tenant is a customer organisation. Every other object belongs to exactly
// one tenant and is invisible to all others.
type Tenant struct {
	ID        string // GUID
	Name      string
	Domain    string // e.g. contoso.example; users' UPNs end with @Domain
	CreatedAt time.Time
}

// Validate returns EINVALID if the tenant lacks a name or a plausible
// domain, or has an ID that is not a GUID (an empty ID is assigned later).
func (t *Tenant) Validate() error {
	if strings.TrimSpace(t.Name) == "" {
		return &Error{Code: EINVALID, Field: "name", Message: "A tenant needs a name."}
	}
	if !strings.Contains(t.Domain, ".") || strings.ContainsAny(t.Domain, "@ /") {
		return &Error{Code: EINVALID, Field: "domain", Value: t.Domain, Message: fmt.Sprintf("Tenant domain %q is not a domain name.", t.Domain)}
	}
	if t.ID != "" && !IsGUID(t.ID) {
		return &Error{Code: EINVALID, Field: "id", Value: t.ID, Message: fmt.Sprintf("Tenant id %q is not a GUID.", t.ID)}
	}
	return nil
}

// TenantService creates and finds tenants. It is an operator's interface, not
// a tenant administrator's: no principal is involved.
type TenantService interface {
	// CreateTenant stores a new tenant, assigning ID and CreatedAt when empty.
	// Returns ECONFLICT if the domain is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// FindTenantByDomain returns ENOTFOUND if no tenant has the domain.
	FindTenantByDomain(ctx context.Context, domain string) (*Tenant, error)
	// FindTenantByID returns ENOTFOUND if no tenant has the id.
	FindTenantByID(ctx context.Context, id string) (*Tenant, error)
	// FindTenants lists every tenant, by name.
	FindTenants(ctx context.Context) ([]*Tenant, error)
}
