package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version describes the running binary: its module version, else the
// commit it was built from (and when, and whether the tree had changes),
// and the Go version that built it.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "allot version unknown, " + runtime.Version()
	}
	v := bi.Main.Version
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; (v == "" || v == "(devel)") && rev != "" {
		v = "devel " + rev[:min(12, len(rev))]
		if settings["vcs.modified"] == "true" {
			v += "-dirty"
		}
		if at := settings["vcs.time"]; at != "" {
			v += " (" + at + ")"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("allot version %s, built with %s", v, bi.GoVersion)
}
