package graph

import (
	"context"

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
