package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/allot-project/allot/cmd/internal/cli"
)

const completionUsage = `Usage: allot completion <bash|zsh>

Completion prints a script that completes allot's commands, subcommands
and flags in your shell, made from allot's own command table.

	bash  for bash: source <(allot completion bash), or save it in
	      /etc/bash_completion.d/allot
	zsh   for zsh: allot completion zsh > "${fpath[1]}/_allot", or
	      source <(allot completion zsh) after compinit
`

// parseCompletion dispatches to "completion bash" and "completion zsh".
func (m *Main) parseCompletion(args []string) (command, error) {
	shell := func(name string, write func(io.Writer, []cli.Command) error) cli.Subcommand[command] {
		return cli.Subcommand[command]{Name: name, Parse: func(args []string) (command, error) {
			fs := newFlagSet("completion " + name)
			if err := m.parseFlags(fs, completionUsage, args); err != nil {
				return nil, err
			}
			if fs.NArg() > 0 {
				return nil, &usageError{Msg: fmt.Sprintf("completion %s takes no arguments, got %q", name, fs.Arg(0))}
			}
			return runFunc(func() error { return write(m.Stdout, m.describe()) }), nil
		}}
	}
	g := &cli.Group[command]{Name: "completion", Usage: completionUsage, Subcommands: []cli.Subcommand[command]{
		shell("bash", writeBash), shell("zsh", writeZsh),
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// describe returns every command of allot with its flags, the global
// ones first (path "allot"), from the command table.
func (m *Main) describe() []cli.Command {
	global := cli.NewFlagSet("allot")
	m.global.define(global)
	out := []cli.Command{{Path: "allot", Flags: global}}
	for _, c := range m.commands() {
		out = append(out, cli.Describe("allot "+c.name, func(args []string) error {
			_, err := c.parse(args)
			return err
		})...)
	}
	return out
}

// completionTable is what a completion script knows: the words to offer
// after each command path ("" for allot itself, "license/assign") and the
// flags that take a value.
type completionTable struct {
	paths       []string
	words       map[string][]string
	valueFlags  []string
	outputFlags []string
}

func newCompletionTable(cmds []cli.Command) *completionTable {
	t := &completionTable{words: map[string][]string{}}
	add := func(path, word string) {
		if !slices.Contains(t.words[path], word) {
			if _, ok := t.words[path]; !ok {
				t.paths = append(t.paths, path)
			}
			t.words[path] = append(t.words[path], word)
		}
	}
	for _, c := range cmds {
		segs := strings.Fields(strings.TrimPrefix(c.Path, "allot"))
		for i := range segs {
			add(strings.Join(segs[:i], "/"), segs[i])
		}
		path := strings.Join(segs, "/")
		if _, ok := t.words[path]; !ok {
			t.paths, t.words[path] = append(t.paths, path), nil
		}
		if c.Flags != nil {
			c.Flags.VisitAll(func(f *flag.Flag) { t.addFlag(path, f, add) })
		}
	}
	add("", "help")
	t.words["help"] = t.words[""]
	return t
}

// addFlag offers a flag after path and records whether it takes a value.
func (t *completionTable) addFlag(path string, f *flag.Flag, add func(path, word string)) {
	name := "--" + f.Name
	if len(f.Name) == 1 {
		name = "-" + f.Name
	}
	add(path, name)
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return
	}
	for _, n := range []string{name, "-" + f.Name, "--" + f.Name} {
		if !slices.Contains(t.valueFlags, n) {
			t.valueFlags = append(t.valueFlags, n)
		}
	}
	if f.Name == "output" || f.Name == "o" {
		t.outputFlags = append(t.outputFlags, name)
	}
}

// writeBash writes the bash completion script.
func writeBash(w io.Writer, cmds []cli.Command) error {
	t := newCompletionTable(cmds)
	var b strings.Builder
	b.WriteString(`# bash completion for allot, made by "allot completion bash".
# Load it with: source <(allot completion bash)
_allot() {
	local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
	local path="" next w i skip=""
`)
	fmt.Fprintf(&b, "\tlocal paths=%q valueflags=%q\n", " "+strings.Join(t.paths, " ")+" ", " "+strings.Join(t.valueFlags, " ")+" ")
	b.WriteString(`	for ((i = 1; i < COMP_CWORD; i++)); do
		w="${COMP_WORDS[i]}"
		if [[ -n $skip ]]; then
			skip=""
			continue
		fi
		case "$w" in
		--) break ;;
		-*=*) ;;
		-*) [[ $valueflags == *" $w "* ]] && skip=1 ;;
		*)
			next="${path:+$path/}$w"
			[[ $paths == *" $next "* ]] && path="$next"
			;;
		esac
	done
	case "$prev" in
	-o | --output | -output)
		COMPREPLY=($(compgen -W "table json csv" -- "$cur"))
		return
		;;
	esac
	[[ $valueflags == *" $prev "* ]] && return
	local words=""
	case "$path" in
`)
	for _, p := range t.paths {
		fmt.Fprintf(&b, "\t%q) words=%q ;;\n", p, strings.Join(t.words[p], " "))
	}
	b.WriteString(`	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _allot allot
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeZsh writes the zsh completion script: the bash one, through zsh's
// bash completion layer.
func writeZsh(w io.Writer, cmds []cli.Command) error {
	if _, err := io.WriteString(w, `#compdef allot
# zsh completion for allot, made by "allot completion zsh".
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
`); err != nil {
		return err
	}
	return writeBash(w, cmds)
}

// runFunc is a command that runs a function.
type runFunc func() error

func (f runFunc) run(context.Context) error { return f() }
