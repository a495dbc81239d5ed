package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestCatalogsComplete checks that every key exists in every language,
// and that a key missing in one is found.
func TestCatalogsComplete(t *testing.T) {
	l, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	if m := l.missing(); len(m) > 0 {
		t.Errorf("missing keys: %v", m)
	}
	broken := &locales{msgs: map[string]map[string]string{"en": {"a": "A", "b": "B"}, "fr": {"a": "A"}}}
	if got, want := broken.missing(), []string{"fr: b"}; !slices.Equal(got, want) {
		t.Errorf("missing() of a broken catalog = %q, want %q", got, want)
	}
}

// usedKeys matches the message keys named in templates and Go code.
var usedKeys = regexp.MustCompile(`\.T "([a-zA-Z.]+)"|\.N "([a-zA-Z.]+)"|(?:text|plural|pageError|base)\([^"\n]*"([a-zA-Z]+\.[a-zA-Z.]+)"|t\("([a-zA-Z]+\.[a-zA-Z.]+)"`)

// TestKeysUsedExist checks that every key the templates and the code
// name is in the catalogs (plural keys with both forms).
func TestKeysUsedExist(t *testing.T) {
	l, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(filepath.Ext(path) == ".html" || (filepath.Ext(path) == ".go" && !slices.Contains([]string{"locale_test.go"}, path))) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range usedKeys.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2] + m[3] + m[4]
			found++
			_, plain := l.msgs["en"][key]
			_, one := l.msgs["en"][key+".one"]
			_, other := l.msgs["en"][key+".other"]
			if !plain && !(one && other) {
				t.Errorf("%s names the message %q, which the catalogs lack", path, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Errorf("found %d keys used, fewer than expected: the pattern is broken", found)
	}
}

// TestFormat checks numbers, dates, plurals and language negotiation.
func TestFormat(t *testing.T) {
	l, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 2, 3, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, got, want string }{
		{"int en", formatInt("en", 100000), "100,000"},
		{"int fr", formatInt("fr", 100000), "100\u202f000"},
		{"int small", formatInt("fr", 999), "999"},
		{"int negative", formatInt("en", -1234), "-1,234"},
		{"date en", formatDate("en", day), "Feb 3, 2026"},
		{"date fr", formatDate("fr", day), "3 févr. 2026"},
		{"date zero", formatDate("fr", time.Time{}), "—"},
		{"plural en 0", l.plural("en", "product.matching", 0), "0 users have this license."},
		{"plural fr 0", l.plural("fr", "product.matching", 0), "0 utilisateur a cette licence."},
		{"plural fr 2", l.plural("fr", "product.matching", 2), "2 utilisateurs ont cette licence."},
		{"negotiate fr", l.negotiate("fr-CA,fr;q=0.9,en;q=0.8"), "fr"},
		{"negotiate q", l.negotiate("de, en;q=0.5, fr;q=0.7"), "fr"},
		{"negotiate none", l.negotiate("de"), "en"},
		{"negotiate empty", l.negotiate(""), "en"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
