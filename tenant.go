package allot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tenant is a customer organisation. Every other object belongs to exactly
// one tenant and is invisible to all others.
type Tenant struct {
	ID        string // GUID
	Name      string
	Domain    string // the default domain, e.g. contoso.example; users' UPNs end with one of its Domains
	CreatedAt time.Time
}

// Validate normalizes the tenant's name and domain and returns EINVALID
// if it lacks a name or a well-formed domain (ValidateDomainName), or has
// an ID that is not a GUID (an empty ID is assigned later).
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Domain = NormalizeDomainName(t.Domain)
	if t.Name == "" || len(t.Name) > 256 {
		return &Error{Code: EINVALID, Field: "name", Value: t.Name, Message: "A tenant needs a name of 1 to 256 characters."}
	}
	if err := ValidateDomainName(t.Domain); err != nil {
		return err
	}
	if t.ID != "" && !IsGUID(t.ID) {
		return &Error{Code: EINVALID, Field: "id", Value: t.ID, Message: fmt.Sprintf("Tenant id %q is not a GUID.", t.ID)}
	}
	return nil
}

// TenantSetup is everything a new organisation starts with, made in one
// transaction by TenantService.SetUpTenant: the tenant with its verified
// default domain, its first user as Global Administrator, and its first
// subscriptions.
type TenantSetup struct {
	Tenant        Tenant
	Admin         User
	Subscriptions []Subscription // by SKUID and Quantity; admin-managed and Enabled for SetupTerm
}

// SetupTerm is how long the subscriptions of a tenant's setup run before
// their next lifecycle step.
const SetupTerm = 365 * 24 * time.Hour

// Validate normalizes the setup and returns its first fault as EINVALID:
// the tenant's fields, the administrator's (whose userPrincipalName must
// end with the tenant's domain, CheckUPNDomain), and each subscription's,
// which needs a SKU of c and a positive quantity. It makes every
// subscription admin-managed, Enabled and recurring, starting at now.
func (s *TenantSetup) Validate(c *Catalog, now time.Time) error {
	if err := s.Tenant.Validate(); err != nil {
		return err
	}
	if err := s.Admin.Validate(); err != nil {
		return err
	}
	if err := CheckUPNDomain(s.Admin.UserPrincipalName, []*Domain{{Name: s.Tenant.Domain, IsVerified: true}}); err != nil {
		return err
	}
	for i := range s.Subscriptions {
		sub := &s.Subscriptions[i]
		sub.Status, sub.OwnerType, sub.RecurringBilling = StatusEnabled, OwnerAdmin, true
		sub.CreatedAt, sub.NextLifecycleAt = now, now.Add(SetupTerm)
		sub.SetDefaults()
		if err := sub.Validate(c); err != nil {
			return err
		}
		if sub.Quantity < 1 {
			return &Error{Code: EINVALID, SKUID: sub.SKUID, Field: "quantity", Value: strconv.Itoa(sub.Quantity),
				Message: fmt.Sprintf("A subscription of %s needs a positive quantity, not %d.", c.SKU(sub.SKUID).PartNumber, sub.Quantity)}
		}
	}
	return nil
}

// TenantService creates and finds tenants. It is an operator's interface, not
// a tenant administrator's: no principal is involved.
type TenantService interface {
	// CreateTenant stores a new tenant with its domain as its verified
	// default, assigning ID and CreatedAt when empty. Returns ECONFLICT if
	// the domain is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// SetUpTenant makes a whole new organisation in one transaction (see
	// TenantSetup), audited as the operator; on any refusal nothing is
	// made. It fills in the ids. Returns EINVALID (TenantSetup.Validate)
	// and ECONFLICT if the domain is taken.
	SetUpTenant(ctx context.Context, s *TenantSetup) error
	// FindTenantByDomain returns the tenant having the domain among its
	// domains, any case; ENOTFOUND if none has.
	FindTenantByDomain(ctx context.Context, domain string) (*Tenant, error)
	// FindTenantByID returns ENOTFOUND if no tenant has the id.
	FindTenantByID(ctx context.Context, id string) (*Tenant, error)
	// FindTenants lists every tenant, by name.
	FindTenants(ctx context.Context) ([]*Tenant, error)
}
