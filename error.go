package allot

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each one to a status and a Graph error
// code in one table; licensing codes carry Graph's licenseAssignmentState
// error names.
const (
	ECONFLICT     = "conflict"     // a unique value is taken
	EINTERNAL     = "internal"     // a bug or an unavailable dependency
	EINVALID      = "invalid"      // the request is malformed or breaks a rule of shape
	ENOTFOUND     = "not_found"    // no such object in the principal's tenant
	EFORBIDDEN    = "forbidden"    // the principal's roles do not allow it
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	ENOTIMPL      = "not_implemented"

	ECOUNTVIOLATION     = "CountViolation"             // no seat left
	EMUTUALLYEXCLUSIVE  = "MutuallyExclusiveViolation" // two conflicting plans would be held
	EDEPENDENCY         = "DependencyViolation"        // a plan would lack a plan it needs
	EUSAGELOCATION      = "UsageLocationViolation"     // the user has no usage location
	EINVALIDLICENSE     = "InvalidLicense"             // the SKU is not owned by the tenant
	ELICENSENOTHELD     = "LicenseNotHeld"             // removing a SKU the user does not hold
	ESELFSERVICE        = "SelfServiceViolation"       // an admin touched a self-service subscription's seats
	EINVALIDDISABLEPLAN = "InvalidDisabledPlan"        // a disabled plan is not part of the SKU
)

// Error is allot's one error type. Message is safe to show to the caller,
// in English. The other fields carry what the error is about, so that the
// API, the command line and the French pages can render or translate it by
// Code and fields without parsing Message; each is zero when it does not
// apply.
type Error struct {
	Code    string
	Message string

	SKUID          string   // the product (skuId) at fault
	PlanID         string   // the service plan (servicePlanId) at fault
	UserID         string   // the user at fault
	SubscriptionID string   // the subscription at fault
	Field          string   // the request property at fault, as named on the wire (e.g. "usageLocation")
	Value          string   // the offending value of Field, or the conflicting one
	Plans          []string // the service plans involved (mutual exclusion, dependencies), by name
	Count          int      // how many: licenses assigned, users to change, seats asked for
	Limit          int      // against how many: seats available, the capacity that would remain
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("allot: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error in err's chain, or a generic
// message for any other error so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
