package allot

import (
	"context"
	"strings"
)

// Offboarding asks to offboard a former employee (U5) in one operation:
// place a hold first if asked, remove the user's licenses (or move them to
// a successor), block sign-in and revoke every token and session.
type Offboarding struct {
	User      string // id or userPrincipalName
	Hold      bool   // place a hold on the user first, so that nothing is lost
	HoldName  string // the hold's name; "" means "Offboarding of <userPrincipalName>"
	Successor string // id or userPrincipalName of who gets the licenses; "" removes them
	DryRun    bool   // decide everything, change nothing
}

// Validate trims the hold's name and, when a hold is asked for with a
// name, returns the refusal of a hold placed alone with that name
// (CheckHoldName: EINVALID, Field "name"). A name left empty gets the
// default, which is always valid.
func (o *Offboarding) Validate() error {
	o.HoldName = strings.TrimSpace(o.HoldName)
	if o.Hold && o.HoldName != "" {
		return CheckHoldName(o.HoldName)
	}
	return nil
}

// OffboardResult says what an offboarding did, or would do.
type OffboardResult struct {
	User          *User      // the user afterwards
	Successor     *User      // the successor afterwards, nil without one
	Licenses      []License  // the licenses removed (and moved to the successor)
	TokensRevoked int        // the user's tokens and sessions revoked
	Hold          *Hold      // the hold placed, nil without one
	Impact        DataImpact // what happens to the user's data
	DryRun        bool
}

// AuthorizeOffboard decides from the principal alone whether it may
// offboard: it needs to manage users and assign licenses, and to manage
// holds when one is asked for. Returns EFORBIDDEN.
func AuthorizeOffboard(p Principal, o Offboarding) error {
	for _, a := range []Action{ActionManageUsers, ActionAssignLicenses} {
		if err := Authorize(p, a); err != nil {
			return err
		}
	}
	if o.Hold {
		return Authorize(p, ActionManageHolds)
	}
	return nil
}

// OffboardService offboards former employees.
type OffboardService interface {
	// Offboard does all of o or nothing, in one audited transaction.
	// Returns EFORBIDDEN (AuthorizeOffboard), ENOTFOUND for an unknown
	// user or successor, EINVALID when the successor is the user, and the
	// refusals of the steps (the last Global Administrator is not blocked;
	// the successor's license rules).
	Offboard(ctx context.Context, p Principal, o Offboarding) (*OffboardResult, error)
}
