package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
)

// This file holds the baseline of W1, W1b, W9 and W12: a bare net/http
// JSON handler doing one map lookup, run as a process of its own (the
// bench binary re-executed with the hidden sub-command bareCommand), so
// that it shares no heap or garbage collector with allot's index.

// bareName names the baseline in the result lines.
const bareName = "bare net/http JSON handler, one map lookup, own process"

// bareCommand is the hidden sub-command running the bare handler.
const bareCommand = "bare-handler"

// runBare runs the bare handler: it reads "key value" lines from stdin
// until EOF into a map, listens on --addr, prints its base URL as the
// first line of stdout and serves until killed. It returns the exit code.
func runBare(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(bareCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen on this `address`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := readBareMap(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", bareCommand, err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", bareCommand, err)
		return 1
	}
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	srv := &http.Server{Handler: bareHandler(m), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "%s: %v\n", bareCommand, srv.Serve(ln))
	return 1
}

// readBareMap reads the "key value" lines of r.
func readBareMap(r io.Reader) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			return nil, fmt.Errorf("line %q is not \"key value\"", sc.Text())
		}
		m[k] = v
	}
	return m, sc.Err()
}

// bareHandler answers any GET like a license check: the key is the query's
// user, else the path segment after /users/; one map lookup; a small JSON
// answer in the shape of graph.CheckResult.
func bareHandler(m map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		key := q.Get("user")
		if key == "" {
			_, rest, _ := strings.Cut(r.URL.Path, "/users/")
			key, _, _ = strings.Cut(rest, "/")
		}
		a := graph.CheckResult{User: key, ServicePlanID: q.Get("servicePlan"), Reason: allot.ReasonNoLicense}
		if sku, ok := m[key]; ok {
			a.UserID, a.SKUID, a.Licensed, a.Reason = key, sku, true, allot.ReasonLicensed
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(a)
	})
}

// bareProc is the running bare handler.
type bareProc struct {
	cmd  *exec.Cmd
	base string
}

// bare returns the base URL of the bare handler, starting its process on
// first use: the big tenant's users, each with its first SKU, are its map.
func (env *benchEnv) bare(ctx context.Context) (string, error) {
	if env.bareP != nil {
		return env.bareP.base, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(exe, bareCommand, "--addr", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	p := &bareProc{cmd: cmd}
	go env.feedBare(in)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return "", fmt.Errorf("%s did not start: %w", bareCommand, err)
	}
	p.base = strings.TrimSpace(line)
	env.bareP = p
	env.c.logf("bare handler (pid %d) at %s", cmd.Process.Pid, p.base)
	return p.base, nil
}

// feedBare writes the bare handler's map to w and closes it.
func (env *benchEnv) feedBare(w io.WriteCloser) {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := range env.d.users {
		u := &env.d.users[i]
		fmt.Fprintf(bw, "%s %s\n", u.id(), env.d.skuIDs[u.skus[0]])
	}
	bw.Flush()
	w.Close()
}

// stop kills the bare handler and waits for it.
func (p *bareProc) stop() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}
