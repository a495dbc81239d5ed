package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/allot-project/allot"
	"golang.org/x/crypto/argon2"
)

func TestParsePHC(t *testing.T) {
	salt, key := base64.RawStdEncoding.EncodeToString(make([]byte, 16)), base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name, hash string
		wantErr    bool
	}{
		{"the dummy", dummyHash, false},
		{"older, cheaper parameters", "$argon2id$v=19$m=8192,t=1,p=1$" + salt + "$" + key, false},
		{"empty", "", true},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key, true},
		{"other version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key, true},
		{"no lanes", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key, true},
		{"no passes", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key, true},
		{"8 GiB", "$argon2id$v=19$m=8388608,t=2,p=1$" + salt + "$" + key, true},
		{"missing key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt, true},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + key, true},
		{"padded base64", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parsePHC(tt.hash); (err != nil) != tt.wantErr {
				t.Errorf("parsePHC(%q) error = %v, want error %v", tt.hash, err, tt.wantErr)
			}
		})
	}
}

// TestDummyHashMatchesNothing: the hash an unknown user's password is
// checked against costs a real hash and accepts no password.
func TestDummyHashMatchesNothing(t *testing.T) {
	db := &DB{hashing: make(chan struct{}, 1)}
	h, err := parsePHC(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := []uint32{h.memory, h.passes, uint32(h.lanes)}, []uint32{argonMemoryKiB, argonPasses, argonLanes}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dummy's parameters = %v, want the current ones %v", got, want)
	}
	for _, pw := range []string{"", "password", goodPasswordForTest} {
		if ok, err := db.checkPassword(context.Background(), dummyHash, pw); ok || err != nil {
			t.Errorf("checkPassword(dummy, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

const goodPasswordForTest = "correct horse battery"

// TestStoredHashes: each user's hash has its own salt and the current
// parameters, and a hash stored with older parameters still signs in.
func TestStoredHashes(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	tn := &allot.Tenant{Name: "P", Domain: "p.example"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}
	for _, upn := range []string{"a@p.example", "b@p.example"} {
		u := &allot.User{UserPrincipalName: upn, DisplayName: upn, AccountEnabled: true}
		if err := db.CreateUser(ctx, allot.SystemPrincipal(tn.ID, "t"), u); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPassword(ctx, tn.ID, upn, goodPasswordForTest); err != nil {
			t.Fatal(err)
		}
		var h string
		if err := db.read.QueryRowContext(ctx, `SELECT hash FROM passwords WHERE tenant_id = $1 AND user_id = $2`, tn.ID, u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", argonMemoryKiB, argonPasses, argonLanes); !strings.HasPrefix(h, want) {
			t.Errorf("%s's hash %q, want it to start with %q", upn, h, want)
		}
		hashes[upn] = h
	}
	if hashes["a@p.example"] == hashes["b@p.example"] {
		t.Errorf("two users with the same password have the same hash %q: no salt", hashes["a@p.example"])
	}

	salt := []byte("sixteen byte slt")
	old := fmt.Sprintf("$argon2id$v=19$m=8192,t=1,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte("an older password"), salt, 1, 8192, 1, 32)))
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE passwords SET hash = $1 WHERE hash = $2`, old, hashes["a@p.example"])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SignIn(ctx, "a@p.example", "an older password", time.Minute); err != nil {
		t.Errorf("sign-in against a hash with older parameters: %v", err)
	}
}
