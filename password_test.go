package allot_test

import (
	"strings"
	"testing"

	"github.com/allot-project/allot"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		want     *allot.Error
	}{
		{"eight characters", "abcdefgh", nil},
		{"passphrase with spaces", "correct horse battery staple", nil},
		{"eight accented characters", strings.Repeat("é", 8), nil},
		{"256 characters", strings.Repeat("a", 256), nil},
		{"256 characters of two bytes", strings.Repeat("é", 256), nil},
		{"empty", "", &allot.Error{Code: allot.EINVALID, Field: "password", Count: 0, Limit: 8}},
		{"seven characters", "abcdefg", &allot.Error{Code: allot.EINVALID, Field: "password", Count: 7, Limit: 8}},
		{"seven accented characters in 14 bytes", strings.Repeat("é", 7), &allot.Error{Code: allot.EINVALID, Field: "password", Count: 7, Limit: 8}},
		{"257 characters", strings.Repeat("a", 257), &allot.Error{Code: allot.EINVALID, Field: "password", Count: 257, Limit: 256}},
		{"line break", "abcdefgh\n", &allot.Error{Code: allot.EINVALID, Field: "password"}},
		{"tab", "abcd\tefgh", &allot.Error{Code: allot.EINVALID, Field: "password"}},
		{"NUL", "abcd\x00efgh", &allot.Error{Code: allot.EINVALID, Field: "password"}},
		{"invalid UTF-8", "abcdefgh\xff", &allot.Error{Code: allot.EINVALID, Field: "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantError(t, allot.ValidatePassword(tt.password), tt.want) })
	}
}
