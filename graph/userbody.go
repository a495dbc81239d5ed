package graph

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/allot-project/allot"
)

// userBody is a decoded user create or update body.
type userBody struct {
	user    allot.User       // for create
	update  allot.UserUpdate // for update
	upn     *string          // userPrincipalName, which updates cannot change
	enabled bool             // accountEnabled was given
}

// userBodyProps decode the user properties a body may set into both the
// create and the update form.
var userBodyProps = map[string]func(b *userBody, raw json.RawMessage) error{
	"accountEnabled": func(b *userBody, raw json.RawMessage) error {
		v, err := decodeBool("accountEnabled", raw)
		b.user.AccountEnabled, b.update.AccountEnabled, b.enabled = v, &v, true
		return err
	},
	"displayName": stringProp("displayName", func(b *userBody) (*string, **string) { return &b.user.DisplayName, &b.update.DisplayName }),
	"givenName":   stringProp("givenName", func(b *userBody) (*string, **string) { return &b.user.GivenName, &b.update.GivenName }),
	"surname":     stringProp("surname", func(b *userBody) (*string, **string) { return &b.user.Surname, &b.update.Surname }),
	"jobTitle":    stringProp("jobTitle", func(b *userBody) (*string, **string) { return &b.user.JobTitle, &b.update.JobTitle }),
	"usageLocation": stringProp("usageLocation", func(b *userBody) (*string, **string) {
		return &b.user.UsageLocation, &b.update.UsageLocation
	}),
	"userPrincipalName": stringProp("userPrincipalName", func(b *userBody) (*string, **string) {
		return &b.user.UserPrincipalName, &b.upn
	}),
	// Graph requires these on create; allot has no passwords or mail
	// nicknames, so it accepts them (type-checked) and ignores them.
	"passwordProfile": func(b *userBody, raw json.RawMessage) error {
		if isNull(raw) {
			return nil
		}
		_, err := decodeObject("passwordProfile", raw)
		return err
	},
	"mailNickname": func(b *userBody, raw json.RawMessage) error {
		_, err := decodeString("mailNickname", raw)
		return err
	},
}

// stringProp decodes a string property (null clears it) into the create
// field and the update pointer that field returns. Control characters are
// refused here because the domain's validation lets them through.
func stringProp(name string, field func(b *userBody) (*string, **string)) func(*userBody, json.RawMessage) error {
	return func(b *userBody, raw json.RawMessage) error {
		v, err := decodeString(name, raw)
		if err != nil {
			return err
		}
		if strings.ContainsFunc(v, unicode.IsControl) {
			return badRequest(fmt.Sprintf("Invalid value specified for property '%s' of resource 'User': it contains control characters.", name))
		}
		create, update := field(b)
		*create, *update = v, &v
		return nil
	}
}

// unsupportedUserProps are properties of Graph's user that allot does not
// keep or that are read-only; setting them is refused rather than ignored.
var unsupportedUserProps = map[string]bool{
	"id": true, "mail": true, "businessPhones": true, "mobilePhone": true, "officeLocation": true,
	"preferredLanguage": true, "department": true, "companyName": true, "city": true, "country": true,
	"state": true, "streetAddress": true, "postalCode": true, "employeeId": true, "employeeType": true,
	"userType": true, "otherMails": true, "ageGroup": true, "passwordPolicies": true, "onPremisesImmutableId": true,
	"createdDateTime": true, "deletedDateTime": true, "assignedLicenses": true, "assignedPlans": true,
	"licenseAssignmentStates": true, "provisionedPlans": true, "identities": true, "proxyAddresses": true,
}

// readUserBody reads and decodes the body of a user create or update.
func (s *Server) readUserBody(w http.ResponseWriter, r *http.Request) (*userBody, error) {
	raw, err := s.readWriteBody(w, r)
	if err != nil {
		return nil, err
	}
	return decodeUserBody(raw)
}

// decodeUserBody decodes a user create or update body. Unknown properties
// are refused with OData's message, as Graph refuses them.
func decodeUserBody(body []byte) (*userBody, error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	members, unknown, err := obj.members(slices.Collect(maps.Keys(userBodyProps)))
	if err != nil {
		return nil, err
	}
	for _, name := range unknown {
		for prop := range unsupportedUserProps {
			if strings.EqualFold(prop, name) {
				return nil, badRequest(fmt.Sprintf("The property '%s' of type 'microsoft.graph.user' cannot be set in allot.", prop))
			}
		}
		return nil, badRequest(fmt.Sprintf("The property '%s' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type.", truncate(name, 60)))
	}
	b := &userBody{}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if err := userBodyProps[name](b, members[name]); err != nil {
			return nil, err
		}
	}
	return b, nil
}
