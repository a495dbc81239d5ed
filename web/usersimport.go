package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/allot-project/allot"
)

// maxImportBytes is the largest CSV file the import page reads.
const maxImportBytes = 4 << 20

// registerImportRoutes registers the import and export of Active users,
// as "allot users import" and "allot users export" do them.
func (h *Handler) registerImportRoutes() {
	h.mux.Handle("GET /users/export", h.page(h.exportUsers))
	h.mux.Handle("GET /users/import", h.page(h.importForm))
	h.mux.Handle("POST /users/import", h.page(h.importUsers))
}

// importPage is the data of the import: the form, or a dry run's preview
// or an import's result, row by row.
type importPage struct {
	base
	CSV     string // the file, carried from the preview to the import
	Ran     bool   // a preview or an import was made
	DryRun  bool
	Error   string
	Rows    []importRow
	Created int
	Updated int
	Same    int
	Refused int
}

// importRow is one row's outcome in the page's language.
type importRow struct {
	Line   int
	UPN    string
	Action string // create, update, unchanged; "" when refused
	Reason string
}

// importer returns the session of a visitor who may import users.
func (h *Handler) importer(r *http.Request) (*session, error) {
	s, err := h.session(r)
	if err != nil {
		return nil, err
	}
	if h.svc.Imports == nil {
		return nil, &allot.Error{Code: allot.ENOTFOUND, Message: "No import here."}
	}
	return s, allot.Authorize(s.p, allot.ActionAssignLicenses)
}

// importForm shows the upload form.
func (h *Handler) importForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.importer(r); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "usersimport", &importPage{base: h.base(r, "import.title", "users")})
	return nil
}

// importUsers previews (a dry run) or applies an uploaded CSV, showing
// each row's outcome and refusal; a file that cannot be read is refused
// beside the form.
func (h *Handler) importUsers(w http.ResponseWriter, r *http.Request) error {
	s, err := h.importer(r)
	if err != nil {
		return err
	}
	pg := &importPage{base: h.base(r, "import.title", "users"), DryRun: r.PostFormValue("step") != "run"}
	pg.CSV, err = uploadedCSV(r)
	if err != nil {
		pg.Error = h.locales.text(pg.Lang, "import.badFile")
		h.render(w, r, http.StatusBadRequest, "usersimport", pg)
		return nil
	}
	rows, refused, err := allot.ParseImportCSV(h.catalog, strings.NewReader(pg.CSV), 0)
	if err != nil {
		var e *allot.Error
		if errors.As(err, &e) && e.Limit > 0 {
			pg.Error = h.locales.text(pg.Lang, "import.tooManyRows", formatInt(pg.Lang, allot.MaxImportRows))
		} else {
			pg.Error = h.locales.text(pg.Lang, "import.badHeader", strings.Join(allot.ImportColumns, ", "))
		}
		h.render(w, r, http.StatusBadRequest, "usersimport", pg)
		return nil
	}
	results, err := h.svc.Imports.ImportUsers(r.Context(), s.p, rows, allot.ImportOptions{DryRun: pg.DryRun})
	if err != nil {
		if allot.ErrorCode(err) == allot.EINTERNAL {
			return err
		}
		pg.Error = h.errorText(pg.Lang, err, nil)
		h.render(w, r, http.StatusBadRequest, "usersimport", pg)
		return nil
	}
	pg.Ran = true
	names := h.userNames(r, s.p)
	pg.count(append(results, refused...), func(err error) string {
		var e *allot.Error
		if errors.As(err, &e) && e.Field == "userPrincipalName" && e.Count > 0 { // allot.ImportSeen
			return h.locales.text(pg.Lang, "import.duplicate", e.Count)
		}
		return h.errorText(pg.Lang, err, names)
	})
	h.render(w, r, http.StatusOK, "usersimport", pg)
	return nil
}

// uploadedCSV returns the file of the form (the upload, else the text
// carried from a preview).
func uploadedCSV(r *http.Request) (string, error) {
	if text := r.PostFormValue("csv"); text != "" {
		return text, nil
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err != nil || len(b) > maxImportBytes || len(bytes.TrimSpace(b)) == 0 {
		return "", errors.New("web: unreadable import file")
	}
	return string(b), nil
}

// count fills the page's rows, by line, and totals.
func (pg *importPage) count(results []allot.ImportResult, why func(error) string) {
	slices.SortFunc(results, func(a, b allot.ImportResult) int { return a.Line - b.Line })
	for _, res := range results {
		row := importRow{Line: res.Line, UPN: res.UserPrincipalName, Action: res.Action}
		switch {
		case res.Err != nil:
			row.Action, row.Reason = "", why(res.Err)
			pg.Refused++
		case res.Action == allot.ImportCreate:
			pg.Created++
		case res.Action == allot.ImportUpdate:
			pg.Updated++
		default:
			pg.Same++
		}
		pg.Rows = append(pg.Rows, row)
	}
}

// exportUsers downloads every active user as a CSV file that the import
// reads back, in the order of their ids, a page at a time.
func (h *Handler) exportUsers(w http.ResponseWriter, r *http.Request) error {
	s, err := h.session(r)
	if err != nil {
		return err
	}
	started, err := allot.ExportUsers(r.Context(), h.svc.Users, h.catalog, s.p, func() io.Writer {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="users.csv"`)
		return w
	})
	if err != nil && started {
		h.log.ErrorContext(r.Context(), "export cut short", "request_id", requestOf(r).id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
