package web

import (
	"errors"
	"strings"

	"github.com/allot-project/allot"
)

// keyedError is a refusal of the pages themselves (nothing selected, a
// form out of date), told by a message key and an HTTP status.
type keyedError struct {
	status int
	key    string
}

// Error implements error.
func (e *keyedError) Error() string { return "web: " + e.key }

// pageError returns a refusal shown with status and the message key.
func pageError(status int, key string) error { return &keyedError{status: status, key: key} }

// errorText says in lang what an error refused, from its code and its
// fields (product, user, plans, counts), never from its English message;
// names names users by id (nil: ids as they are).
func (h *Handler) errorText(lang string, err error, names func(string) string) string {
	var ke *keyedError
	if errors.As(err, &ke) {
		return h.locales.text(lang, ke.key)
	}
	var e *allot.Error
	if !errors.As(err, &e) {
		return h.locales.text(lang, "error.internal")
	}
	product := e.SKUID
	if sku := h.catalog.SKU(e.SKUID); sku != nil {
		product = sku.DisplayName.In(lang)
	}
	user := e.UserID
	if names != nil && user != "" {
		user = names(user)
	}
	t := func(key string, args ...any) string { return h.locales.text(lang, key, args...) }
	switch e.Code {
	case allot.ECOUNTVIOLATION:
		if e.SubscriptionID != "" { // a reduction below the licenses assigned (allot.CheckCapacity)
			return t("err.belowAssigned", e.Count, product, e.Limit, e.Count-e.Limit)
		}
		return t("err.CountViolation", product)
	case allot.EUSAGELOCATION:
		return t("err.UsageLocationViolation", user)
	case allot.ESELFSERVICE:
		return t("err.SelfServiceViolation", product)
	case allot.EMUTUALLYEXCLUSIVE:
		return t("err.MutuallyExclusiveViolation", strings.Join(e.Plans, ", "))
	case allot.EDEPENDENCY:
		return t("err.DependencyViolation", strings.Join(e.Plans, ", "))
	case allot.ELICENSENOTHELD:
		return t("err.LicenseNotHeld", product)
	case allot.EINVALIDLICENSE:
		return t("err.InvalidLicense", product)
	case allot.EINVALIDDISABLEPLAN:
		return t("err.InvalidDisabledPlan", product)
	case allot.EFORBIDDEN:
		return t("error.forbidden")
	case allot.ENOTFOUND:
		return t("err.notFound")
	case allot.ECONFLICT:
		if e.SubscriptionID != "" {
			return t(subscriptionConflict(e), product)
		}
		return t("err.conflict")
	case allot.EINVALID:
		if e.Field != "" {
			return t("err.invalidField", e.Field)
		}
		return t("err.invalid")
	}
	return t("error.internal")
}

// subscriptionConflict names the message of a subscription change its
// state does not allow (allot.PlanSubscriptionUpdate), from the field
// refused.
func subscriptionConflict(e *allot.Error) string {
	switch {
	case e.Field == "status" && e.Value == "deleted":
		return "err.sub.cancelClosed"
	case e.Field == "status":
		return "err.sub.deleted"
	case e.Field == "quantity":
		return "err.sub.renewFirst"
	case e.Field == "autoRenewEnabled":
		return "err.sub.noRecurring"
	case e.Field == "extendTrial":
		return "err.sub.noExtend"
	}
	return "err.conflict"
}
