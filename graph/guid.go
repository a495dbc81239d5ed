package graph

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/allot-project/allot"
)

// newGUID returns a random (version 4) GUID for request ids.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// guidBytes returns a canonical GUID's 16 bytes in the little-endian
// layout of .NET's Guid.ToByteArray: the first three groups byte-swapped.
func guidBytes(g string) ([16]byte, bool) {
	var b [16]byte
	if !allot.IsGUID(g) {
		return b, false
	}
	raw, _ := hex.DecodeString(strings.ReplaceAll(g, "-", ""))
	copy(b[:], raw)
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b, true
}

// guidString is the inverse of guidBytes.
func guidString(b []byte) string {
	c := [16]byte(b)
	c[0], c[1], c[2], c[3] = c[3], c[2], c[1], c[0]
	c[4], c[5] = c[5], c[4]
	c[6], c[7] = c[7], c[6]
	return fmt.Sprintf("%x-%x-%x-%x-%x", c[0:4], c[4:6], c[6:8], c[8:10], c[10:16])
}

// licenseDetailsID builds a licenseDetails id as Graph's documented example
// decodes: base64url without padding of the tenant GUID's bytes followed by
// the SKU GUID's, each in .NET's little-endian layout (graph-api.md §1.4).
// Clients treat it as opaque.
func licenseDetailsID(tenantID, skuID string) string {
	t, _ := guidBytes(strings.ToLower(tenantID))
	s, _ := guidBytes(strings.ToLower(skuID))
	return base64.RawURLEncoding.EncodeToString(append(t[:], s[:]...))
}

// parseLicenseDetailsID returns the tenant and SKU ids of a licenseDetails
// id.
func parseLicenseDetailsID(id string) (tenantID, skuID string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 32 {
		return "", "", false
	}
	return guidString(b[:16]), guidString(b[16:]), true
}
