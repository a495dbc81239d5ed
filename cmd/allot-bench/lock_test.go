package main

import (
	"strings"
	"testing"
)

// TestLockDataDir checks that a data directory is taken by one invocation
// at a time, and free again once it is let go.
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), "another allot-bench is using") {
		t.Errorf("a second lock while the first is held: %v, want a refusal", err)
	}
	first.Close()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("a lock after the first was let go: %v", err)
	}
	again.Close()
}
