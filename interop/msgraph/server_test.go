package msgraph_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

// server is a running "allot serve --demo" child process.
type server struct {
	base  string // e.g. http://127.0.0.1:41234
	db    string // path of the SQLite database
	bin   string // path of the allot binary
	out   *lockedBuffer
	token string
}

// lockedBuffer collects the server's output, written from two pipes at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// repoRoot is the allot repository, two levels above this module.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "cmd", "allot")); err != nil {
		t.Fatalf("repository root %s has no cmd/allot: %v", root, err)
	}
	return root
}

// goEnv is the environment for building the main module. A GOFLAGS=-mod=mod
// meant for this module must not let the build rewrite the main go.mod.
func goEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOFLAGS=") {
			var keep []string
			for _, f := range strings.Fields(strings.TrimPrefix(kv, "GOFLAGS=")) {
				if !strings.HasPrefix(f, "-mod=") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return env
}

// buildAllot compiles ./cmd/allot of the repository into dir.
func buildAllot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "allot")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/allot")
	cmd.Dir = repoRoot(t)
	cmd.Env = goEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/allot in %s: %v\n%s", cmd.Dir, err, out)
	}
	return bin
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer builds allot, runs "allot serve --demo" on a fresh database,
// waits for /healthz and creates a token for the demo administrator. The
// server is killed when the test ends; its output is logged if it failed.
func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{bin: buildAllot(t, dir), db: filepath.Join(dir, "allot.db"), out: &lockedBuffer{}}
	addr := freeAddr(t)
	s.base = "http://" + addr

	cmd := exec.Command(s.bin, "serve", "--demo", "--db", s.db, "--addr", addr)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("output of %v:\n%s", cmd.Args, tail(s.out.String(), 200))
		}
	})

	if err := waitHealthy(s.base+"/healthz", exited, 30*time.Second); err != nil {
		t.Fatalf("allot serve did not become healthy: %v\noutput:\n%s", err, tail(s.out.String(), 200))
	}
	s.token = createToken(t, s.bin, s.db, "admin@contoso.example")
	return s
}

// waitHealthy polls url until it answers 200, the process exits or the
// timeout passes.
func waitHealthy(url string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("process exited early: %v", err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from %s within %v (last: %v)", url, timeout, last)
}

// createToken runs "allot token create" and returns the printed secret.
func createToken(t *testing.T, bin, db, upn string) string {
	t.Helper()
	cmd := exec.Command(bin, "token", "create", "--db", db, "--user", upn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\nstderr:\n%s", cmd.Args, err, stderr.String())
	}
	tok := strings.TrimSpace(string(out))
	if tok == "" || strings.ContainsAny(tok, " \n") {
		t.Fatalf("%v printed %q, want only a token", cmd.Args, out)
	}
	return tok
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = append([]string{fmt.Sprintf("[... %d earlier lines]", len(parts)-lines)}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}

// staticToken is an AccessTokenProvider that hands out one token for any
// URL, plain http included.
type staticToken string

func (s staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]interface{}) (string, error) {
	return string(s), nil
}

func (s staticToken) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	v := authentication.NewAllowedHostsValidator(nil)
	return &v
}

// newClient returns a Graph client for the server with the SDK's default
// middleware (request-body compression on), as a real caller would have.
func newClient(t *testing.T, s *server) *msgraphsdk.GraphServiceClient {
	t.Helper()
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(staticToken(s.token))
	adapter, err := msgraphsdk.NewGraphRequestAdapter(auth)
	if err != nil {
		t.Fatalf("NewGraphRequestAdapter: %v", err)
	}
	// Must come before NewGraphServiceClient, which captures the base URL.
	adapter.SetBaseUrl(s.base + "/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter)
}
