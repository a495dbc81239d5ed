package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed locale/*.json
var localeFS embed.FS

// languages are the languages of the admin center, the default first.
var languages = []string{"en", "fr"}

// locales holds one message catalog per language.
type locales struct {
	msgs map[string]map[string]string
}

// loadLocales reads every catalog and refuses one that lacks a key
// another has, so a missing translation fails start-up.
func loadLocales() (*locales, error) {
	l := &locales{msgs: map[string]map[string]string{}}
	for _, lang := range languages {
		b, err := localeFS.ReadFile("locale/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: locale/%s.json: %w", lang, err)
		}
		l.msgs[lang] = m
	}
	if missing := l.missing(); len(missing) > 0 {
		return nil, fmt.Errorf("web: message keys missing: %s", strings.Join(missing, ", "))
	}
	return l, nil
}

// missing lists "lang: key" for every key some catalog has and lang lacks.
func (l *locales) missing() []string {
	var out []string
	for _, a := range languages {
		for k := range l.msgs[a] {
			for _, b := range languages {
				if _, ok := l.msgs[b][k]; !ok {
					out = append(out, b+": "+k)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// has reports whether lang is a language of the admin center.
func (l *locales) has(lang string) bool { return slices.Contains(languages, lang) }

// negotiate picks the first language of an Accept-Language header that
// the admin center speaks, by quality; English when none.
func (l *locales) negotiate(header string) string {
	best, bestQ := languages[0], 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if l.has(primary) && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// lookup returns the message key in lang and whether the catalog has it.
func (l *locales) lookup(lang, key string) (string, bool) {
	m, ok := l.msgs[lang][key]
	return m, ok
}

// text returns the message key in lang, formatted with args
// (fmt.Sprintf verbs); the key itself if no catalog has it.
func (l *locales) text(lang, key string, args ...any) string {
	m, ok := l.msgs[lang][key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return m
	}
	return fmt.Sprintf(m, args...)
}

// plural returns the form of key for n in lang: key+".one" or
// key+".other", formatted with n (in the locale's digits) then args. In
// English only 1 is singular; in French 0 and 1 are.
func (l *locales) plural(lang, key string, n int, args ...any) string {
	form := ".other"
	if n == 1 || (lang == "fr" && n == 0) {
		form = ".one"
	}
	return l.text(lang, key+form, append([]any{formatInt(lang, n)}, args...)...)
}

// formatInt writes n with the locale's thousands separator: "100,000" in
// English, "100 000" (narrow no-break space) in French.
func formatInt(lang string, n int) string {
	s := strconv.Itoa(max(n, -n))
	sep := ","
	if lang == "fr" {
		sep = "\u202f"
	}
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// monthsFR are French month abbreviations, as the admin center writes
// them.
var monthsFR = []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// formatDate writes a day in the locale's way: "Jan 2, 2026" or
// "2 janv. 2026"; "—" for the zero time.
func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	if lang == "fr" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsFR[t.Month()-1], t.Year())
	}
	return t.Format("Jan 2, 2006")
}
