package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot-project/allot/demo"
	"github.com/allot-project/allot/graph"
)

// bulkMemoryBound is the documented bound (docs/reliability.md) on what
// four concurrent maximal bulk requests may add to a server's peak memory.
const bulkMemoryBound = 300 << 20

// procMemory reads a field (VmRSS, VmHWM) of /proc/PID/status, in bytes.
func procMemory(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestBulkPeakMemory sends four maximal bulk requests at once (dry runs
// of 100,000 users named by the longest userPrincipalName, the body limit's
// worth) to a real allot serve and checks that its peak resident memory
// (VmHWM) stays within bulkMemoryBound of its memory at rest.
func TestBulkPeakMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 4 × 12 MB to a real server")
	}
	c := startChild(t, t.TempDir()+"/allot.db")
	defer c.kill()
	c.call("GET", "/v1.0/subscribedSkus", nil) // warm up
	idle := procMemory(t, c.cmd.Process.Pid, "VmRSS")
	body := maximalBulkBody(t)
	start := time.Now()
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", c.url+"/api/bulkAssignLicense", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			io.Copy(io.Discard, resp.Body)
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	peak := procMemory(t, c.cmd.Process.Pid, "VmHWM")
	t.Logf("4 bulk requests of %d users (%.1f MB each) in %s: statuses %v, resident memory at rest %d MB, peak %d MB (+%d MB)",
		graph.MaxBulkUsers, float64(len(body))/1e6, time.Since(start).Round(time.Millisecond), statuses, idle>>20, peak>>20, (peak-idle)>>20)
	for _, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("statuses %v, want 4 × 200", statuses)
			break
		}
	}
	if peak-idle > bulkMemoryBound {
		t.Errorf("peak memory %d MB above rest, over the bound of %d MB", (peak-idle)>>20, bulkMemoryBound>>20)
	}
}

// maximalBulkBody is a dry-run bulk change of the most users a request
// may name, each by a userPrincipalName of the greatest length.
func maximalBulkBody(t *testing.T) []byte {
	t.Helper()
	users := make([]string, graph.MaxBulkUsers)
	suffix := "@" + demo.Domain
	for i := range users {
		n := strconv.Itoa(i)
		users[i] = n + strings.Repeat("a", 113-len(suffix)-len(n)) + suffix
	}
	raw, err := json.Marshal(graph.BulkRequest{Users: users, AddLicenses: []graph.AssignedLicense{{SKUID: demo.SKUBusinessPremium}}, RemoveLicenses: []string{}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
