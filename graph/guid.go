package graph

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/allot-project/allot"
)

// newRequestID returns a random (version 4) GUID for a request id.
func newRequestID() string {
	g, _ := allot.NewGUID(rand.Reader) // crypto/rand never fails (it panics rather)
	return g.String()
}

// canonicalGUID returns s, a GUID in either case, in its canonical
// lower-case form; false when s is not a GUID.
func canonicalGUID(s string) (string, bool) {
	g, ok := allot.ParseGUID(s)
	if !ok {
		return "", false
	}
	return g.String(), true
}

// dotNetOrder converts between a GUID's canonical byte order and the
// little-endian layout of .NET's Guid.ToByteArray, which byte-swaps the
// first three groups. The swap is its own inverse, so it converts both
// ways.
func dotNetOrder(b [16]byte) [16]byte {
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b
}

// licenseDetailsID builds a licenseDetails id as Graph's documented example
// decodes: base64url without padding of the tenant GUID's bytes followed by
// the SKU GUID's, each in .NET's little-endian layout (graph-api.md §1.4).
// Clients treat it as opaque.
func licenseDetailsID(tenantID, skuID string) string {
	t, _ := allot.ParseGUID(tenantID)
	s, _ := allot.ParseGUID(skuID)
	t, s = dotNetOrder(t), dotNetOrder(s)
	return base64.RawURLEncoding.EncodeToString(append(t[:], s[:]...))
}

// parseLicenseDetailsID returns the tenant and SKU ids of a licenseDetails
// id.
func parseLicenseDetailsID(id string) (tenantID, skuID string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 32 {
		return "", "", false
	}
	t, s := allot.GUID(dotNetOrder([16]byte(b[:16]))), allot.GUID(dotNetOrder([16]byte(b[16:])))
	return t.String(), s.String(), true
}
