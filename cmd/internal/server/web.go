package server

import (
	"net/http"
	"strings"
)

// apiPrefixes are the paths the API answers: Graph's /v1.0, allot's own
// /api, /healthz and /metrics. Every other path is the admin center's.
var apiPrefixes = []string{"/v1.0", "/api", "/healthz", "/metrics"}

// apiPath reports whether path belongs to the API.
func apiPath(path string) bool {
	for _, pre := range apiPrefixes {
		if path == pre || strings.HasPrefix(path, pre+"/") {
			return true
		}
	}
	return false
}

// mount serves the API's paths with api and every other one with pages,
// so "/" opens the admin center while Graph's routes, errors and headers
// stay the API's.
func mount(api, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apiPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}
