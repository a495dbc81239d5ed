package graph

import (
	"context"
	"net/http"

	"github.com/allot-project/allot"
)

// readUser returns the user a GET of one user renders, with its licenses
// when withLicenses: through Services.Reads when there is one (one
// statement, no licenses unless asked), else FindUser.
func (s *Server) readUser(ctx context.Context, p allot.Principal, idOrUPN string, withLicenses bool) (*allot.User, error) {
	if s.svc.Reads != nil {
		return s.svc.Reads.ReadUser(ctx, p, idOrUPN, withLicenses)
	}
	return s.svc.Users.FindUser(ctx, p, idOrUPN)
}

// findUserLicenses returns the user whose licenseDetails are read, its
// licenses sorted by SKU (allot.SortLicenses), whichever service answers.
func (s *Server) findUserLicenses(ctx context.Context, p allot.Principal, idOrUPN string) (*allot.User, error) {
	if s.svc.Reads != nil {
		return s.svc.Reads.FindUserLicenses(ctx, p, idOrUPN)
	}
	u, err := s.svc.Users.FindUser(ctx, p, idOrUPN)
	if err != nil {
		return nil, err
	}
	allot.SortLicenses(u.Licenses)
	return u, nil
}

// writeDefaultUser answers a user with Graph's default properties
// (userDefaults, no $select) by appending its JSON directly: the bytes
// that rendering userType through maps and writeJSON gives (members in
// sorted order, HTML not escaped), tested in userread_test.go, for a
// tenth of the work. GET /users/{id} and /me without $select are the
// common case.
func writeDefaultUser(w http.ResponseWriter, r *http.Request, u *allot.User) error {
	ctx := contextURL(r, "users") + "/$entity"
	b := make([]byte, 0, 320+len(ctx)+len(u.DisplayName)+2*len(u.UserPrincipalName))
	b = appendJSONString(append(b, `{"@odata.context":`...), ctx)
	b = appendJSONString(append(b, `,"businessPhones":[],"displayName":`...), u.DisplayName)
	b = appendNullString(append(b, `,"givenName":`...), u.GivenName)
	b = appendJSONString(append(b, `,"id":`...), u.ID)
	b = appendNullString(append(b, `,"jobTitle":`...), u.JobTitle)
	b = appendJSONString(append(b, `,"mail":`...), u.UserPrincipalName)
	b = appendNullString(append(b, `,"mobilePhone":null,"officeLocation":null,"preferredLanguage":null,"surname":`...), u.Surname)
	b = appendJSONString(append(b, `,"userPrincipalName":`...), u.UserPrincipalName)
	b = append(b, "}\n"...)
	writeJSONHeader(w, http.StatusOK)
	_, err := w.Write(b)
	return err
}

// appendNullString appends s as a JSON string, null when empty
// (nullIfEmpty).
func appendNullString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}
