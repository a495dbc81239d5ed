package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
	"golang.org/x/term"
)

const usersSetPasswordUsage = `Usage: allot users set-password [--db PATH|URL] UPN

Set-password sets the password with which the user signs in to the admin
center (the pages allot serve shows at /). It is the operator's action,
made on the database directly, like "allot token create".

On a terminal it asks for the password twice without showing it;
otherwise it reads it from standard input, one line. A password has 8 to
256 characters, spaces allowed, no tab or other control character.
Sessions already open stay open; "allot token revoke" ends one.

Examples:

	allot users set-password adele@contoso.example
	printf '%s\n' "$NEW_PASSWORD" | allot users set-password --db allot.db adele@contoso.example
`

// maxPasswordInput bounds what is read from standard input: far more than
// the longest password (256 characters of up to 4 bytes).
const maxPasswordInput = 4096

// usersSetPasswordCommand is "allot users set-password UPN".
type usersSetPasswordCommand struct {
	m   *Main
	dsn string
	upn string
}

func (m *Main) parseUsersSetPassword(args []string) (command, error) {
	c := &usersSetPasswordCommand{m: m}
	fs := newFlagSet("users set-password")
	dbFlag(fs, &c.dsn)
	if err := m.parseFlags(fs, usersSetPasswordUsage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users set-password takes one UPN after the flags, got %d arguments (run 'allot users set-password -h' for usage)", fs.NArg())}
	}
	c.upn = fs.Arg(0)
	if allot.ValidateUPN(c.upn) != nil {
		return nil, &usageError{Msg: fmt.Sprintf("users set-password: %q is not a userPrincipalName of the form name@domain", c.upn)}
	}
	return c, nil
}

func (c *usersSetPasswordCommand) run(ctx context.Context) error {
	db, err := c.m.openDB(ctx, c.dsn, sqlstore.Options{}, true)
	if err != nil {
		return err
	}
	t, err := db.FindTenantByDomain(ctx, allot.UPNDomain(c.upn))
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return fmt.Errorf("no tenant has the domain %s of user %s", allot.UPNDomain(c.upn), c.upn)
	} else if err != nil {
		return err
	}
	password, err := c.m.readPassword(c.upn)
	if err != nil {
		return err
	}
	err = db.SetPassword(ctx, t.ID, c.upn, password)
	if allot.ErrorCode(err) == allot.ENOTFOUND {
		return fmt.Errorf("tenant %s has no user %s", t.Name, c.upn)
	} else if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.m.Stdout, "%s: password set\n", c.upn)
	return err
}

// readPassword reads a new password for upn: from the terminal, twice and
// without echo, when standard input is one; else one line of standard
// input, its line ending removed.
func (m *Main) readPassword(upn string) (string, error) {
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return m.readTerminalPassword(int(f.Fd()), upn)
	}
	if m.Stdin == nil {
		return "", errors.New("no password given: standard input is closed")
	}
	data, err := io.ReadAll(io.LimitReader(m.Stdin, maxPasswordInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if len(data) > maxPasswordInput {
		return "", fmt.Errorf("standard input holds more than %d bytes; give the password alone, on one line", maxPasswordInput)
	}
	data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
	if len(data) == 0 {
		return "", errors.New("no password given: standard input is empty")
	}
	return string(data), nil
}

// readTerminalPassword asks for the password twice on the terminal fd.
func (m *Main) readTerminalPassword(fd int, upn string) (string, error) {
	fmt.Fprintf(m.Stderr, "New password for %s: ", upn)
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if err := allot.ValidatePassword(string(first)); err != nil {
		return "", err // before asking again for a password that cannot be set
	}
	fmt.Fprint(m.Stderr, "Again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if !bytes.Equal(first, again) {
		return "", errors.New("the two passwords differ; nothing was changed")
	}
	return string(first), nil
}
