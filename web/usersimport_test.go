package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/allot-project/allot/demo"
)

// postFile posts a multipart form with the CSRF value and file as "file".
func (b *browser) postFile(path, csrf, file string) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "users.csv")
	io.WriteString(fw, file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", b.lang)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// TestUsersImport checks the import of Active users: the preview says
// what each row would do, per-row refusals in the page's language, and
// changes nothing; the import then creates the user; a file without the
// header is refused; the export reads back; others are refused.
func TestUsersImport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	zoe := "zoe@" + demo.Domain
	exists := func() bool {
		_, err := f.db.FindUser(ctx, f.sysUser, zoe)
		return err == nil
	}
	file := "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\n" +
		zoe + ",Zoé Martin,FR,true,EXCHANGESTANDARD\n" +
		"bob@" + demo.Domain + ",Bob,US,maybe,\n" +
		zoe + ",Zoé Martin,FR,true,\n"
	b := f.browser(t)
	b.signIn("diego@" + demo.Domain)
	if users := b.get("/users"); !strings.Contains(users.body, `href="/users/import"`) {
		t.Errorf("no link to the import on Active users")
	}
	form := b.get("/users/import")
	if form.status != http.StatusOK || !strings.Contains(form.body, `id="import-file"`) {
		t.Fatalf("import form: %d\n%s", form.status, form.text())
	}
	for _, tc := range []struct {
		name, lang, file string
		status           int
		want             []string
	}{
		{"no header", "fr", zoe + ",Zoé,FR,true,\n", http.StatusBadRequest, []string{"La première ligne du fichier doit nommer les colonnes userPrincipalName"}},
		{"preview", "en", file, http.StatusOK, []string{
			"The import would create 1 users, update 0, leave 0 unchanged and refuse 2 rows.",
			"2 " + zoe + " Created", "3 bob@" + demo.Domain + " The value of accountEnabled is not valid.", "4 " + zoe + " This user is already on line 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			res := b.postFile("/users/import", form.csrf(t), tc.file)
			for _, w := range tc.want {
				if res.status != tc.status || !strings.Contains(res.text(), w) {
					t.Errorf("status %d, want %d; want %q in:\n%s", res.status, tc.status, w, res.text())
				}
			}
			if exists() {
				t.Error("the preview created the user")
			}
		})
	}
	b.lang = "en"
	res := b.post("/users/import", url.Values{"csrf": {form.csrf(t)}, "step": {"run"}, "csv": {file}})
	if res.status != http.StatusOK || !strings.Contains(res.text(), "Created 1 users, updated 0, left 0 unchanged; 2 rows refused.") || !exists() {
		t.Fatalf("import: %d, created %v\n%s", res.status, exists(), res.text())
	}
	if !f.holds(t, zoe, demo.SKUExchangePlan1) {
		t.Error("the imported user lacks Exchange Online (Plan 1)")
	}

	reader := f.browser(t)
	reader.signIn("miriam@" + demo.Domain)
	csv := reader.get("/users/export")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(csv.body, "userPrincipalName,displayName,usageLocation,accountEnabled,licenses\n") ||
		!strings.Contains(csv.body, "\n"+zoe+",Zoé Martin,FR,true,EXCHANGESTANDARD\n") {
		t.Errorf("export: %d %s\n%s", csv.status, csv.header.Get("Content-Type"), csv.body)
	}
	rp := reader.get("/users")
	if strings.Contains(rp.body, `href="/users/import"`) {
		t.Error("a Global Reader is shown the import")
	}
	if res := reader.postFile("/users/import", rp.csrf(t), file); res.status != http.StatusForbidden {
		t.Errorf("a Global Reader's import: %d, want 403", res.status)
	}
	user := f.browser(t)
	user.signIn("christie@" + demo.Domain)
	if res := user.get("/users/export"); res.status != http.StatusForbidden {
		t.Errorf("an ordinary user's export: %d, want 403", res.status)
	}
}
