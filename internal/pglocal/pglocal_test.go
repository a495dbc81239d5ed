package pglocal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// requireInstalled skips the test when PostgreSQL is not installed, except in
// CI, where a missing installation is a failure.
func requireInstalled(t *testing.T) {
	t.Helper()
	_, err := BinDir()
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but PostgreSQL is not installed: %v", err)
		}
		t.Skipf("!!! SKIPPING: PostgreSQL is not installed on this machine (%v); these tests did NOT run !!!", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestStartCreateDatabaseStop(t *testing.T) {
	requireInstalled(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t0 := time.Now()
	srv, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %v; URL %s", time.Since(t0), srv.URL())
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop()
		}
	}()

	if fi, err := os.Stat(srv.dir); err != nil || !fi.IsDir() {
		t.Fatalf("cluster directory %s: %v", srv.dir, err)
	}

	for _, name := range []string{"alpha", "Beta-2"} {
		url, err := srv.CreateDatabase(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connecting to %s: %v", url, err)
		}
		var one int
		var db string
		if err := conn.QueryRow(ctx, "select 1, current_database()").Scan(&one, &db); err != nil {
			t.Fatalf("select 1 on %s: %v", url, err)
		}
		if one != 1 || db != name {
			t.Errorf("got (%d, %q), want (1, %q)", one, db, name)
		}
		conn.Close(ctx)
	}

	if _, err := srv.CreateDatabase(ctx, "alpha"); err == nil {
		t.Error("creating a duplicate database succeeded")
	}

	dir := srv.dir
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s still exists after Stop (stat err %v)", dir, err)
	}
	if _, err := pgx.Connect(ctx, srv.URL()); err == nil {
		t.Error("server still accepts connections after Stop")
	}
}

func TestConcurrentCreateDatabase(t *testing.T) {
	requireInstalled(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	}()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	t0 := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url, err := srv.CreateDatabase(ctx, fmt.Sprintf("db%d", i))
			if err != nil {
				errs <- err
				return
			}
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "create table t (x int); insert into t values (1)"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d concurrent CreateDatabase calls took %v", n, time.Since(t0))
}

func TestRetryWhenPortTaken(t *testing.T) {
	requireInstalled(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken, nil
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()

	srv, err := Start(context.Background(), Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if calls < 2 || srv.port == taken {
		t.Errorf("server on port %d after %d port choices; want a retry away from %d", srv.port, calls, taken)
	}
	if _, err := srv.CreateDatabase(context.Background(), "retried"); err != nil {
		t.Error(err)
	}
}

// TestServerDiesWithParent checks that the postmaster does not outlive a test
// binary that is killed without calling Stop.
func TestServerDiesWithParent(t *testing.T) {
	requireInstalled(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGLOCAL_TEST_HELPER=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var pid int
	var dir string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "PGLOCAL-READY %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("helper did not report a server (scan err %v)", sc.Err())
	}
	defer func() {
		// The killed helper cannot clean up: remove the directory and the
		// small System V segment a SIGKILLed postmaster leaves behind. The
		// postmaster's children exit a moment after it and may still write
		// into the directory as it is removed, so the removal is retried.
		removeSysVSegment(t, filepath.Join(dir, "data", "postmaster.pid"))
		for i := 0; ; i++ {
			err := os.RemoveAll(dir)
			if err == nil {
				break
			}
			if i == 200 {
				t.Errorf("cluster directory of the killed helper not removed: %v", err)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if !alive(pid) {
		t.Fatalf("postmaster %d not running before the helper was killed", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d still running 10s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// removeSysVSegment removes the System V shared memory segment recorded in
// line 7 ("key shmid") of a postmaster.pid file.
func removeSysVSegment(t *testing.T, pidFile string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Logf("cannot read %s: %v", pidFile, err)
		return
	}
	lines := strings.Split(string(b), "\n")
	var key, shmid int
	if len(lines) < 7 {
		return
	}
	if _, err := fmt.Sscan(lines[6], &key, &shmid); err != nil {
		t.Logf("cannot parse shared memory line %q: %v", lines[6], err)
		return
	}
	const ipcRMID = 0
	if _, _, errno := syscall.Syscall(syscall.SYS_SHMCTL, uintptr(shmid), ipcRMID, 0); errno != 0 {
		t.Logf("removing shared memory segment %d: %v", shmid, errno)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// TestHelperServerProcess is run as a subprocess by TestServerDiesWithParent.
func TestHelperServerProcess(t *testing.T) {
	if os.Getenv("PGLOCAL_TEST_HELPER") != "1" {
		t.Skip("helper process for TestServerDiesWithParent")
	}
	srv, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PGLOCAL-READY %d %s\n", srv.cmd.Process.Pid, srv.dir)
	time.Sleep(time.Minute) // killed by the parent test
	srv.Stop()
}

func TestStartInDirTCPFallback(t *testing.T) {
	requireInstalled(t)
	if os.Geteuid() == 0 {
		// t.TempDir creates 0700 directories, which the unprivileged server
		// account cannot traverse; use a world-searchable parent instead.
		parent, err := os.MkdirTemp("", "pglocal-test-*")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(parent)
		if err := os.Chmod(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		runInDir(t, parent)
		return
	}
	runInDir(t, t.TempDir())
}

// runInDir starts a server below a path too long for a unix socket, so that
// the TCP URL is exercised.
func runInDir(t *testing.T, parent string) {
	deep := parent
	for len(deep) < maxSocketPath {
		deep = filepath.Join(deep, "padding-padding-padding")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := deep; p != parent; p = filepath.Dir(p) {
		os.Chmod(p, 0o755)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{Dir: deep, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if srv.sockDir != "" {
		t.Errorf("expected TCP-only server, got socket dir %s", srv.sockDir)
	}
	url, err := srv.CreateDatabase(ctx, "tcp")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	defer conn.Close(ctx)
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(deep)
	if len(entries) != 0 {
		t.Errorf("%s not empty after Stop: %v", deep, entries)
	}
}

func TestUntraversableDirRejectedAsRoot(t *testing.T) {
	requireInstalled(t)
	if os.Geteuid() != 0 {
		t.Skip("only relevant when running as root")
	}
	parent := t.TempDir() // 0700, owned by root
	_, err := Start(context.Background(), Options{Dir: parent})
	if err == nil {
		t.Fatal("Start succeeded in a directory the server account cannot reach")
	}
	t.Logf("got expected error: %v", err)
	entries, _ := os.ReadDir(parent)
	if len(entries) != 0 {
		t.Errorf("Start left %v behind in %s", entries, parent)
	}
}

func TestVersionOrder(t *testing.T) {
	var vs [][]int
	for _, s := range []string{"9.6", "15", "10", "9.10", "16"} {
		v, ok := parseVersion(s)
		if !ok {
			t.Fatalf("parseVersion(%q) failed", s)
		}
		vs = append(vs, v)
	}
	max := vs[0]
	for _, v := range vs[1:] {
		if versionLess(max, v) {
			max = v
		}
	}
	if len(max) != 1 || max[0] != 16 {
		t.Errorf("newest = %v, want [16]", max)
	}
	if !versionLess([]int{9, 6}, []int{10}) || versionLess([]int{10}, []int{9, 6}) {
		t.Error("9.6 must sort before 10")
	}
	if _, ok := parseVersion("main"); ok {
		t.Error(`parseVersion("main") succeeded`)
	}
}
