// Package allot holds the domain of the allot license admin center: tenants,
// the product catalog, subscriptions, users, license assignments, roles and
// the audit log, together with the rules that govern them.
//
// The package depends only on the standard library. Storage lives in
// subpackages (sqlstore), the HTTP API in graph, and cmd/allot wires them.
// Every rule that decides whether a change is allowed is written once here, as
// plain Go, and every storage backend calls it inside its transaction.
package allot

import "time"

// Channel names the route through which a change was made; it is recorded in
// every audit event.
type Channel string

// The channels through which changes reach allot.
const (
	ChannelAPI    Channel = "API"
	ChannelCLI    Channel = "CLI"
	ChannelUI     Channel = "UI"
	ChannelSystem Channel = "System"
)

// Channels returns every channel a change can come through.
func Channels() []Channel { return []Channel{ChannelAPI, ChannelCLI, ChannelUI, ChannelSystem} }

// Principal is the acting identity of an operation: a user or an
// application of one tenant with the roles it holds, or the system itself.
//
// Every service method takes the principal and refuses what its roles do not
// allow; every query is scoped to Principal.TenantID.
type Principal struct {
	TenantID string
	UserID   string // empty for the system principal and applications
	AppID    string // the application acting with its own token; empty for users and the system
	Name     string // userPrincipalName, or a label for the system
	Roles    []Role
	Via      Channel
	System   bool // the system principal may do everything within its tenant
}

// SystemPrincipal returns the principal used by allot's own jobs (seeding,
// purges, lifecycle timers) for one tenant.
func SystemPrincipal(tenantID string, label string) Principal {
	return Principal{TenantID: tenantID, Name: label, Via: ChannelSystem, System: true}
}

// HasRole reports whether the principal holds role r.
func (p Principal) HasRole(r Role) bool {
	for _, have := range p.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// DeletedRetention is how long a deleted user stays restorable before the
// purge removes it for good.
const DeletedRetention = 30 * 24 * time.Hour
