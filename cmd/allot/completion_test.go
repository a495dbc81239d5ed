package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCompletion checks that the scripts are valid shell, name every
// command and subcommand, and complete as a user would see in bash.
func TestCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to check the script with")
	}
	r := runAllot(t, "completion", "bash")
	if r.code != 0 {
		t.Fatalf("completion bash: exit %d: %s", r.code, r.stderr)
	}
	script := filepath.Join(t.TempDir(), "allot.bash")
	if err := os.WriteFile(script, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	m := NewMain(nil, nil)
	for _, c := range m.describe()[1:] {
		path := strings.TrimPrefix(c.Path, "allot ")
		if !strings.Contains(r.stdout, `"`+strings.ReplaceAll(path, " ", "/")+`")`) {
			t.Errorf("the script does not complete after %q", c.Path)
		}
	}
	tests := []struct {
		name  string
		words []string // the command line, the word being completed last
		want  string
	}{
		{"commands", []string{"allot", "au"}, "audit"},
		{"subcommands", []string{"allot", "license", "un"}, "unassign"},
		{"flags of a subcommand", []string{"allot", "license", "assign", "--disable-"}, "--disable-plan"},
		{"after a flag's value", []string{"allot", "license", "assign", "--sku", "SPB", "--dry"}, "--dry-run"},
		{"after a global flag", []string{"allot", "--url", "http://x", "sk"}, "skus"},
		{"after an argument", []string{"allot", "users", "show", "adele@contoso.example", "--out"}, "--output"},
		{"output formats", []string{"allot", "audit", "-o", "c"}, "csv"},
		{"help", []string{"allot", "help", "lic"}, "license"},
		{"nothing after a value flag", []string{"allot", "audit", "--user", ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words := make([]string, len(tt.words))
			for i, w := range tt.words {
				words[i] = "'" + w + "'"
			}
			prog := "source " + script + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" + strconv.Itoa(len(tt.words)-1) + `; _allot; echo "${COMPREPLY[*]}"`
			out, err := exec.Command(bash, "-c", prog).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != tt.want {
				t.Errorf("completing %q (-want +got):\n- %q\n+ %q %v", tt.words, tt.want, got, err)
			}
		})
	}
}

func TestCompletionZsh(t *testing.T) {
	r := runAllot(t, "completion", "zsh")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "#compdef allot\n") || !strings.Contains(r.stdout, "complete -o default -F _allot allot") {
		t.Fatalf("completion zsh: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("no zsh to check the script with")
	}
	if out, err := exec.Command(zsh, "-n", "-c", r.stdout).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
}

func TestCompletionUsage(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "fish"}, {"completion", "bash", "x"}} {
		if r := runAllot(t, args...); r.code != 2 {
			t.Errorf("allot %s: exit %d, want 2", strings.Join(args, " "), r.code)
		}
	}
}
