package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

//go:embed templates
var templateFS embed.FS

// views holds every page's template: the layout with one view each,
// parsed once at start.
type views struct {
	pages map[string]*template.Template
}

// parseViews parses templates/common/*.html once, then each
// templates/views/NAME.html over a copy of it.
func parseViews(funcs template.FuncMap) (*views, error) {
	common, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/common/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/views/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, f := range files {
		t, err := template.Must(common.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		v.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return v, nil
}

// execute writes the page view with data.
func (v *views) execute(w io.Writer, view string, data any) error {
	t := v.pages[view]
	if t == nil {
		return fmt.Errorf("web: no view %q", view)
	}
	return t.ExecuteTemplate(w, "layout", data)
}

// funcs are the template functions: asset URLs.
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) { return h.assets.url(name) },
		"plus":  func(a, b int) int { return a + b },
		"minus": func(a, b int) int { return a - b },
	}
}

// base is what every page's data holds: the language and its messages,
// the visitor and what their roles let them do, the CSRF value of the
// page's forms.
type base struct {
	Lang      string
	Title     string
	Nav       string // the menu entry of the page
	Path      string // the page's path and query, for the language switch
	RequestID string
	SignedIn  bool
	Name      string // the signed-in user's userPrincipalName
	CSRF      string
	CanRead   bool // an administrator: the admin center's pages
	CanAssign bool // assigns and unassigns licenses
	CanBuy    bool // manages subscriptions
	CanHolds  bool // manages holds (the Holds page)
	CanAudit  bool // reads the audit log (the Audit page)
	CanRoles  bool // grants roles and manages tokens (ActionManageRoles)
	loc       *locales
}

// base returns the common data of a page titled by the message titleKey.
func (h *Handler) base(r *http.Request, titleKey, nav string) base {
	rq := requestOf(r)
	b := base{Lang: rq.lang, Nav: nav, Path: r.URL.Path, RequestID: rq.id, loc: h.locales}
	b.Title = b.T(titleKey)
	if s := rq.sess; s != nil {
		b.SignedIn, b.Name, b.CSRF = true, s.p.Name, s.csrf
		b.CanRead = s.p.Can(allot.ActionRead)
		b.CanAssign = s.p.Can(allot.ActionAssignLicenses)
		b.CanBuy = s.p.Can(allot.ActionManageSubscriptions)
		b.CanRoles = s.p.Can(allot.ActionManageRoles)
		b.CanHolds = s.p.Can(allot.ActionManageHolds)
		b.CanAudit = s.p.Can(allot.ActionReadAudit)
	}
	return b
}

// T returns the message key in the page's language.
func (b base) T(key string, args ...any) string { return b.loc.text(b.Lang, key, args...) }

// N returns the plural form of key for n in the page's language.
func (b base) N(key string, n int, args ...any) string { return b.loc.plural(b.Lang, key, n, args...) }

// Num writes n in the page's locale.
func (b base) Num(n int) string { return formatInt(b.Lang, n) }

// Date writes a day in the page's locale.
func (b base) Date(t time.Time) string { return formatDate(b.Lang, t) }

// SKUName names a product in the page's language.
func (b base) SKUName(s *allot.SKU) string {
	if s == nil {
		return ""
	}
	return s.DisplayName.In(b.Lang)
}

// Other returns the other language, for the switch.
func (b base) Other() string {
	if b.Lang == "fr" {
		return "en"
	}
	return "fr"
}
