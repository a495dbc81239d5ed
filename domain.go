package allot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Domain is a DNS domain that a tenant owns. A tenant has one or more, and
// exactly one is its default (Tenant.Domain); every user's
// userPrincipalName ends with one of its tenant's domains. A domain
// belongs to one tenant only.
type Domain struct {
	Name       string // lower case; the domain's id on the wire
	TenantID   string
	IsDefault  bool // the tenant's default domain, the one new users are suggested
	IsVerified bool // an operator vouches for it: allot's domains are always verified
	IsInitial  bool // the domain the tenant was created with
	CreatedAt  time.Time
}

// Audit actions of domains, recorded as the operator.
const (
	AuditDomainCreate = "domain.create"
	AuditDomainUpdate = "domain.update" // the default domain moved
)

// NormalizeDomainName returns name trimmed, in lower case and without a
// final dot, as domains are stored and compared.
func NormalizeDomainName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// ValidateDomainName returns EINVALID unless name (normalized) is a DNS
// name of at least two labels: letters, digits and inner hyphens, labels
// of 1 to 63 characters, 253 characters in all.
func ValidateDomainName(name string) error {
	if len(name) > 253 || !strings.Contains(name, ".") {
		return domainNameError(name)
	}
	for _, label := range strings.Split(name, ".") {
		if !validLabel(label) {
			return domainNameError(name)
		}
	}
	return nil
}

// validLabel reports whether one label of a domain name is well formed.
func validLabel(label string) bool {
	if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func domainNameError(name string) *Error {
	return &Error{Code: EINVALID, Field: "domain", Value: name,
		Message: fmt.Sprintf("%q is not a domain name (letters, digits and hyphens, in labels separated by dots, such as fabrikam.example).", name)}
}

// UPNDomain returns the domain part of a userPrincipalName, normalized,
// or "" when it has none.
func UPNDomain(upn string) string {
	at := strings.LastIndexByte(upn, '@')
	if at < 0 {
		return ""
	}
	return NormalizeDomainName(upn[at+1:])
}

// CheckUPNDomain returns EINVALID, as Graph does, unless upn ends with one
// of domains (its tenant's), compared case-insensitively.
func CheckUPNDomain(upn string, domains []*Domain) error {
	d := UPNDomain(upn)
	for _, have := range domains {
		if have.IsVerified && NormalizeDomainName(have.Name) == d {
			return nil
		}
	}
	return &Error{Code: EINVALID, Field: "userPrincipalName", Value: upn,
		Message: "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."}
}

// DomainService lists a tenant's domains to its administrators and lets
// the operator add some.
type DomainService interface {
	// FindDomains returns the tenant's domains, the default first, then
	// by name. Needs ActionRead.
	FindDomains(ctx context.Context, p Principal) ([]*Domain, error)
	// FindDomain returns one of the tenant's domains by name, any case.
	// Needs ActionRead. Returns ENOTFOUND if the tenant has no such domain.
	FindDomain(ctx context.Context, p Principal, name string) (*Domain, error)
	// AddDomain gives a tenant a new verified domain, its default if
	// d.IsDefault (the former default stays, no longer default). It is an
	// operator's action, audited as the operator. Returns EINVALID for a
	// bad name, ENOTFOUND for an unknown tenant and ECONFLICT if any tenant
	// already has the domain.
	AddDomain(ctx context.Context, tenantID string, d *Domain) error
}
