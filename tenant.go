package allot

import (
	"context"
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

// Validate returns EINVALID if the tenant lacks a name or a plausible domain.
func (t *Tenant) Validate() error {
	if strings.TrimSpace(t.Name) == "" {
		return Errorf(EINVALID, "A tenant needs a name.")
	}
	if !strings.Contains(t.Domain, ".") || strings.ContainsAny(t.Domain, "@ /") {
		return Errorf(EINVALID, "Tenant domain %q is not a domain name.", t.Domain)
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
