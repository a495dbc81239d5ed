package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files, each served under a name holding
// a hash of its content ("app.3f2a9c1e.css"), so a browser may cache it
// for a year and a new release is fetched at once.
type assets struct {
	byName map[string]string // "app.css" -> "/static/app.3f2a9c1e.css"
	files  map[string]asset  // "app.3f2a9c1e.css" -> content
}

// asset is one file's content and type.
type asset struct {
	body  []byte
	ctype string
}

// loadAssets hashes every embedded static file.
func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]string{}, files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[name] = "/static/" + hashed
		a.files[hashed] = asset{body: b, ctype: mime.TypeByExtension(ext)}
		return nil
	})
	return a, err
}

// url returns the content-hashed URL of a static file; a name that does
// not exist fails the render of the page naming it, which every page's
// test does.
func (a *assets) url(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no asset %q", name)
	}
	return u, nil
}

// serve answers a hashed asset with a year-long immutable cache; any
// other name is not found.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}
