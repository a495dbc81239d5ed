package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/allot-project/allot/client"
)

// Environment variables of the client commands.
const (
	envURL   = client.EnvURL
	envToken = client.EnvToken
)

// remote holds what the commands that talk to a server share: the server's
// URL, the token and the output format, each from a flag of the command,
// else a flag given before the command, else the environment.
type remote struct {
	m      *Main
	url    string
	token  string
	output string
}

// remoteFlags defines --url, --token and --output (-o) on a command's flag
// set; finish resolves them after parsing.
func (m *Main) remoteFlags(fs *flag.FlagSet) *remote {
	r := &remote{m: m}
	fs.StringVar(&r.url, "url", "", "the allot server's `URL` (default $"+envURL+")")
	fs.StringVar(&r.token, "token", "", "the access `token` (default $"+envToken+")")
	fs.StringVar(&r.output, "output", "", "output `format`: table or json (default table)")
	fs.StringVar(&r.output, "o", "", "shorthand for --output `format`")
	return r
}

// globalFlags are the flags given before the command name.
type globalFlags struct {
	url, token, output string
	version            bool
}

// defineGlobalFlags defines the flags allowed before the command name.
func (g *globalFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "url", "", "the allot server's `URL` (default $"+envURL+")")
	fs.StringVar(&g.token, "token", "", "the access `token` (default $"+envToken+")")
	fs.StringVar(&g.output, "output", "", "output `format` of client commands: table or json")
	fs.StringVar(&g.output, "o", "", "shorthand for --output `format`")
	fs.BoolVar(&g.version, "version", false, "print allot's version and exit")
}

// finish applies the defaults and checks the output format; name is the
// command, for messages.
func (r *remote) finish(name string) error { return r.finishFormats(name, "table", "json") }

// finishFormats is finish for a command printing the given formats, the
// first being the default.
func (r *remote) finishFormats(name string, formats ...string) error {
	if r.output == "" {
		r.output = r.m.global.output
	}
	if r.output == "" {
		r.output = formats[0]
	}
	if !slices.Contains(formats, r.output) {
		return &usageError{Msg: fmt.Sprintf("%s: --output must be %s or %s, not %q", name, strings.Join(formats[:len(formats)-1], ", "), formats[len(formats)-1], r.output)}
	}
	return nil
}

// json reports whether the command prints JSON.
func (r *remote) json() bool { return r.output == "json" }

// client returns an HTTP client for the server, or a usage error naming
// what is missing.
func (r *remote) client(name string) (*client.Client, error) {
	getenv := r.m.getenv
	rawURL, urlFrom := pick(r.url, "--url", r.m.global.url, "--url", getenv(envURL), envURL)
	token, tokenFrom := pick(r.token, "--token", r.m.global.token, "--token", getenv(envToken), envToken)
	if rawURL == "" {
		return nil, &usageError{Msg: fmt.Sprintf("%s needs the server's URL: set %s (allot serve prints it) or pass --url", name, envURL)}
	}
	cl, err := client.New(rawURL, token)
	if err != nil {
		return nil, &usageError{Msg: fmt.Sprintf("%s %q is not a server URL such as http://127.0.0.1:8080: %v", urlFrom, rawURL, err)}
	}
	if token == "" {
		return nil, &usageError{Msg: fmt.Sprintf("%s needs an access token: set %s (allot serve --demo prints one; 'allot token create --user UPN' issues one) or pass --token", name, envToken)}
	}
	cl.URLFrom, cl.TokenFrom = urlFrom, tokenFrom
	return cl, nil
}

// pick returns the first non-empty value with the name of its source.
func pick(pairs ...string) (value, from string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != "" {
			return pairs[i], pairs[i+1]
		}
	}
	return "", ""
}
