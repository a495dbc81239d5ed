package demo

import (
	"context"
	"io"

	"github.com/allot-project/allot"
)

// passwordAlphabet has no letters or digits that look alike (0/o, 1/l/i),
// so a password read off a terminal can be typed again.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewAdminPassword gives the demo tenant's Global Administrator
// (AdminUPN) a new random password and returns it: four groups of four
// characters of passwordAlphabet (about 79 bits), e.g. "k7cm-q2xz-…".
// "allot serve --demo" calls it at every start, as it issues a new token,
// so the password it prints is the one that works.
func NewAdminPassword(ctx context.Context, db allot.PasswordService, tenantID string, rand io.Reader) (string, error) {
	raw := make([]byte, 16)
	if _, err := io.ReadFull(rand, raw); err != nil {
		return "", err
	}
	pw := make([]byte, 0, 19)
	for i, b := range raw {
		if i > 0 && i%4 == 0 {
			pw = append(pw, '-')
		}
		// 256 is not a multiple of 31: the first 8 characters are a
		// little likelier, which costs well under a bit.
		pw = append(pw, passwordAlphabet[int(b)%len(passwordAlphabet)])
	}
	if err := db.SetPassword(ctx, tenantID, AdminUPN, string(pw)); err != nil {
		return "", err
	}
	return string(pw), nil
}
