// Package pglocal starts throwaway PostgreSQL servers from the PostgreSQL
// binaries installed on the local machine, for tests and benchmarks.
//
// Each server gets a fresh cluster in its own temporary directory, listens on
// a private loopback port and on a unix socket inside that directory, runs
// with durability switched off (fsync, synchronous_commit and
// full_page_writes are all off) and trusts every local connection. Nothing
// it stores survives Stop, which removes the directory.
//
// PostgreSQL refuses to run as root, so when the calling process is root the
// server runs as the unprivileged "nobody" account (uid/gid 65534 if that
// account cannot be looked up). The package is Linux-only: the server is
// started with a parent-death signal so that a crashed or killed test binary
// does not leave a postmaster behind.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned by Start and BinDir when no PostgreSQL server
// binaries are installed under /usr/lib/postgresql.
var ErrNotInstalled = errors.New("pglocal: PostgreSQL server binaries not found (no /usr/lib/postgresql/<N>/bin with initdb and postgres; install the postgresql package)")

// installRoot is where Debian and Ubuntu install versioned PostgreSQL binaries.
const installRoot = "/usr/lib/postgresql"

const (
	// superuser is the name of the bootstrap superuser created by initdb.
	superuser = "postgres"
	// startTimeout bounds how long Start waits for the server to accept
	// connections.
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long Stop waits after SIGINT before SIGKILL.
	stopTimeout = 10 * time.Second
	// killTimeout bounds how long kill waits after SIGQUIT before SIGKILL.
	killTimeout = 3 * time.Second
	// portAttempts is how many ports Start tries before giving up.
	portAttempts = 5
	// maxSocketPath is the usable length of sockaddr_un.sun_path on Linux.
	maxSocketPath = 107
	// logTailBytes is how much of the server log is quoted in errors.
	logTailBytes = 4096
)

// Options configures Start.
type Options struct {
	// Dir is the parent directory for the cluster; "" means
	// os.MkdirTemp("", "allot-pg-*"). When the process runs as root every
	// ancestor of the cluster directory must be traversable by the
	// unprivileged server account (the default temporary directory is).
	Dir string
	// Logf receives progress/diagnostic lines; nil discards.
	Logf func(format string, args ...any)
}

// Server is a running throwaway PostgreSQL server started by Start. Its
// methods are safe for concurrent use.
type Server struct {
	dir     string // cluster directory, removed by Stop
	dataDir string
	sockDir string // "" when the unix socket path would be too long
	logPath string
	port    int
	logf    func(format string, args ...any)

	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait has returned
	waitEr error         // result of cmd.Wait; valid after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// BinDir finds the newest /usr/lib/postgresql/<N>/bin directory that contains
// both initdb and postgres, comparing the version components of N
// numerically. It returns ErrNotInstalled if there is none.
func BinDir() (string, error) {
	entries, err := os.ReadDir(installRoot)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", ErrNotInstalled
		}
		return "", fmt.Errorf("pglocal: reading %s: %w", installRoot, err)
	}
	type candidate struct {
		version []int
		bin     string
	}
	var cands []candidate
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		bin := filepath.Join(installRoot, e.Name(), "bin")
		if !isExecutable(filepath.Join(bin, "initdb")) || !isExecutable(filepath.Join(bin, "postgres")) {
			continue
		}
		cands = append(cands, candidate{v, bin})
	}
	if len(cands) == 0 {
		return "", ErrNotInstalled
	}
	sort.Slice(cands, func(i, j int) bool { return versionLess(cands[i].version, cands[j].version) })
	return cands[len(cands)-1].bin, nil
}

// parseVersion parses a directory name such as "15" or "9.6" into its
// numeric components.
func parseVersion(name string) ([]int, bool) {
	parts := strings.Split(name, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v[i] = n
	}
	return v, true
}

// versionLess reports whether version a sorts before version b.
func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// isExecutable reports whether path is a regular file with an execute bit.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Start initialises a new cluster in a fresh temporary directory and starts
// postgres on it. It returns once the server accepts connections. ctx bounds
// only the startup; the server keeps running until Stop is called. On error
// nothing is left running and the temporary directory is removed.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	s, err := newServerDir(opts.Dir, cred, logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if rerr := os.RemoveAll(s.dir); rerr != nil {
				logf("pglocal: removing %s: %v", s.dir, rerr)
			}
		}
	}()
	t0 := time.Now()
	if err := s.initdb(ctx, bin, cred); err != nil {
		return nil, err
	}
	logf("pglocal: initdb in %s took %v", s.dataDir, time.Since(t0).Round(time.Millisecond))
	for attempt := 1; ; attempt++ {
		err := s.start(ctx, bin, cred)
		if err == nil {
			break
		}
		if errors.Is(err, errPortInUse) && attempt < portAttempts {
			logf("pglocal: port %d taken, retrying with another port", s.port)
			continue
		}
		return nil, err
	}
	logf("pglocal: postgres ready on port %d (socket dir %q) after %v", s.port, s.sockDir, time.Since(t0).Round(time.Millisecond))
	return s, nil
}

// newServerDir creates the cluster's directory under parent ("" for the
// system's temporary directory), with its socket directory, owned by cred
// when the server runs as another user. On error nothing is left behind.
func newServerDir(parent string, cred *syscall.Credential, logf func(string, ...any)) (_ *Server, err error) {
	if parent != "" {
		// Absolute, so that the paths handed to postgres and put in URLs
		// do not depend on a working directory.
		if parent, err = filepath.Abs(parent); err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, "allot-pg-*")
	if err != nil {
		return nil, fmt.Errorf("pglocal: creating cluster directory: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := os.RemoveAll(dir); rerr != nil {
				logf("pglocal: removing %s: %v", dir, rerr)
			}
		}
	}()
	s := &Server{
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		sockDir: filepath.Join(dir, "sock"),
		logPath: filepath.Join(dir, "postgres.log"),
		logf:    logf,
	}
	// The socket file is named .s.PGSQL.<port>; with a deep Options.Dir the
	// path may not fit in sun_path, in which case only TCP is used.
	if len(s.sockDir)+len("/.s.PGSQL.65535") > maxSocketPath {
		logf("pglocal: socket path under %s too long; using TCP only", dir)
		s.sockDir = ""
	} else if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	if cred != nil {
		if err := s.chown(cred); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// chown gives the cluster's directories to the server's user.
func (s *Server) chown(cred *syscall.Credential) error {
	if err := checkTraversable(s.dir, cred); err != nil {
		return err
	}
	for _, p := range []string{s.dir, s.sockDir} {
		if p == "" {
			continue
		}
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
	}
	return nil
}

// initdb creates the cluster.
func (s *Server) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", s.dataDir,
		"-A", "trust",
		"-E", "UTF8",
		"--no-locale",
		"-U", superuser,
		"--no-sync",
	)
	initdb.Dir = s.dir
	initdb.Env = childEnv()
	initdb.SysProcAttr = sysProcAttr(cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pglocal: initdb failed: %w\n%s", err, tail(out))
	}
	return nil
}

// errPortInUse reports that postgres could not bind its TCP port.
var errPortInUse = errors.New("pglocal: port in use")

// start launches the postmaster on a fresh port and waits until it accepts
// connections. If it fails, the process has been killed and reaped.
func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	port, err := pickPort()
	if err != nil {
		return err
	}
	s.port = port

	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", s.dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+s.sockDir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=128MB",
	)
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr(cred)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pglocal: starting postgres: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func(exited chan struct{}) {
		s.waitEr = cmd.Wait()
		close(exited)
	}(s.exited)

	if err := s.waitReady(ctx); err != nil {
		s.kill()
		logTail := s.logTail()
		if bytes.Contains(logTail, []byte("could not bind IPv4 address")) || bytes.Contains(logTail, []byte("Address already in use")) {
			return fmt.Errorf("%w: %d\n%s", errPortInUse, port, logTail)
		}
		return fmt.Errorf("%w\npostgres log (%s):\n%s", err, s.logPath, logTail)
	}
	return nil
}

// waitReady polls the server until it accepts a connection, the process
// exits, ctx is done or startTimeout elapses.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	cfg, err := pgx.ParseConfig(s.URL())
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	cfg.ConnectTimeout = time.Second
	var lastErr error
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("pglocal: postgres exited during startup: %v", s.waitEr)
		default:
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(context.Background())
			if err == nil {
				return nil
			}
		}
		lastErr = err
		select {
		case <-s.exited:
			return fmt.Errorf("pglocal: postgres exited during startup: %v", s.waitEr)
		case <-ctx.Done():
			return fmt.Errorf("pglocal: postgres not ready: %w (last connection error: %v)", ctx.Err(), lastErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// kill stops the postmaster with an immediate shutdown (SIGQUIT), which
// still releases its shared memory, falls back to SIGKILL if that has not
// worked within killTimeout, and waits for the process to be reaped.
func (s *Server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
		return
	case <-time.After(killTimeout):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// logTail returns the last logTailBytes of the server log.
func (s *Server) logTail() []byte {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return []byte(fmt.Sprintf("(cannot read log: %v)", err))
	}
	return tail(b)
}

// tail returns at most the last logTailBytes of b.
func tail(b []byte) []byte {
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return bytes.TrimRight(b, "\n")
}

// URL returns a pgx-compatible connection URL for the "postgres" database.
// It uses the server's unix socket when there is one and 127.0.0.1 otherwise.
func (s *Server) URL() string {
	return s.dbURL("postgres")
}

// dbURL returns the connection URL for database name.
func (s *Server) dbURL(name string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.User(superuser),
		Path:   "/" + name,
	}
	q := url.Values{}
	if s.sockDir != "" {
		q.Set("host", s.sockDir)
		q.Set("port", strconv.Itoa(s.port))
	} else {
		u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	}
	q.Set("sslmode", "disable")
	// "/" is legal in a query; leaving it unescaped keeps URLs readable.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "%2F", "/")
	return u.String()
}

// CreateDatabase creates an empty database called name and returns a
// pgx-compatible URL for it. It is typically used to give each test its own
// database on a shared server.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("pglocal: empty database name")
	}
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		return "", fmt.Errorf("pglocal: connecting to create database %q: %w", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pglocal: creating database %q: %w", name, err)
	}
	return s.dbURL(name), nil
}

// Stop shuts the server down with a fast shutdown (SIGINT), kills it if it
// has not exited within 10 seconds (SIGQUIT, then SIGKILL), and removes the
// cluster directory. Open connections are terminated.
// Calling Stop more than once returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var errs []error
	select {
	case <-s.exited:
		errs = append(errs, fmt.Errorf("pglocal: postgres had already exited (%v); log:\n%s", s.waitEr, s.logTail()))
	default:
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
			if s.waitEr != nil {
				errs = append(errs, fmt.Errorf("pglocal: postgres shutdown: %w", s.waitEr))
			}
		case <-time.After(stopTimeout):
			s.logf("pglocal: postgres did not stop within %v; killing it", stopTimeout)
			s.kill()
			errs = append(errs, fmt.Errorf("pglocal: postgres did not stop within %v and was killed", stopTimeout))
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("pglocal: removing cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// pickPort chooses the port for the next startup attempt; tests replace it.
var pickPort = freePort

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pglocal: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverCredential returns the credential the server processes must run
// with, or nil to run them as the current user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	uid, gid := uint32(65534), uint32(65534)
	if u, err := user.Lookup("nobody"); err == nil {
		id, err1 := strconv.ParseUint(u.Uid, 10, 32)
		g, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil && id != 0 {
			uid, gid = uint32(id), uint32(g)
		}
	}
	// Groups is empty, so root's supplementary groups are dropped as well.
	return &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}, nil
}

// sysProcAttr returns the process attributes for initdb and postgres.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Credential: cred,
		// Kill the child if the thread that started it dies, so that a
		// crashed test binary does not leak a postmaster. The kernel applies
		// this after the credential change, so it is not reset by it.
		Pdeathsig: syscall.SIGKILL,
		// Keep terminal signals (^C) aimed at the test binary away from the
		// server; Stop shuts it down explicitly.
		Setpgid: true,
	}
}

// childEnv returns the environment for initdb and postgres: the current one
// without PG* variables (which could redirect them) and with the C locale.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// checkTraversable verifies that every ancestor of dir can be searched by the
// account described by cred, which would otherwise be unable to reach its
// data directory.
func checkTraversable(dir string, cred *syscall.Credential) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		mode := fi.Mode().Perm()
		var canSearch bool
		switch {
		case st.Uid == cred.Uid:
			canSearch = mode&0o100 != 0
		case st.Gid == cred.Gid:
			canSearch = mode&0o010 != 0
		default:
			canSearch = mode&0o001 != 0
		}
		if !canSearch {
			return fmt.Errorf("pglocal: directory %s (mode %v) is not searchable by uid %d, which the server runs as because this process is root; use a world-searchable Options.Dir such as %s", p, mode, cred.Uid, os.TempDir())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
