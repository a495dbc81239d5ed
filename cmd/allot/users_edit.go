package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/allot-project/allot/client"
)

const usersCreateUsage = `Usage: allot users create UPN --name NAME [--usage-location CC] [--given-name NAME] [--surname NAME] [--job-title TITLE] [--block-sign-in] [--output table|json]

Create creates a user (POST /v1.0/users) whose userPrincipalName is UPN.
Its usage location, a two-letter ISO 3166 country code, is needed before
any license is assigned to it. Sign-in is allowed unless --block-sign-in.

Example:

	allot users create ada@contoso.example --name "Ada Lovelace" --usage-location FR
`

const usersUpdateUsage = `Usage: allot users update UPN [--name NAME] [--usage-location CC] [--given-name NAME] [--surname NAME] [--job-title TITLE] [--block-sign-in | --allow-sign-in] [--output table|json]

Update changes the properties given of a user (PATCH /v1.0/users/{id}),
named by its userPrincipalName or id; the others stay. An empty
--usage-location "" clears it, which is refused while the user holds
licenses.

Examples:

	allot users update ada@contoso.example --usage-location GB
	allot users update ada@contoso.example --block-sign-in
`

// userFieldFlags are the flags of users create and update, each remembered
// as set or not so that an update sends only what was given.
type userFieldFlags struct {
	name, givenName, surname, jobTitle, location optionalString
	block, allow                                 bool
}

// optionalString is a string flag that knows whether it was given.
type optionalString struct {
	value string
	set   bool
}

func (o *optionalString) String() string     { return o.value }
func (o *optionalString) Set(s string) error { o.value, o.set = s, true; return nil }

// ptr returns the value, or nil when the flag was not given.
func (o *optionalString) ptr() *string {
	if !o.set {
		return nil
	}
	v := o.value
	return &v
}

func (f *userFieldFlags) define(fs *flag.FlagSet, update bool) {
	fs.Var(&f.name, "name", "the display `NAME`")
	fs.Var(&f.givenName, "given-name", "the given `NAME`")
	fs.Var(&f.surname, "surname", "the `SURNAME`")
	fs.Var(&f.jobTitle, "job-title", "the job `TITLE`")
	fs.Var(&f.location, "usage-location", "the usage location: a two-letter ISO 3166 country `CODE` such as FR")
	fs.BoolVar(&f.block, "block-sign-in", false, "block the user's sign-in")
	if update {
		fs.BoolVar(&f.allow, "allow-sign-in", false, "allow the user's sign-in again")
	}
}

// fields returns what the flags set, for the API.
func (f *userFieldFlags) fields() client.UserFields {
	out := client.UserFields{DisplayName: f.name.ptr(), GivenName: f.givenName.ptr(), Surname: f.surname.ptr(),
		JobTitle: f.jobTitle.ptr(), UsageLocation: f.location.ptr()}
	if f.block || f.allow {
		enabled := f.allow
		out.AccountEnabled = &enabled
	}
	return out
}

// userEditCommand is "allot users create|update UPN".
type userEditCommand struct {
	remote *remote
	cl     *client.Client
	user   string
	flags  userFieldFlags
	update bool
}

func (m *Main) parseUsersCreate(args []string) (command, error) {
	return m.parseUserEdit("create", usersCreateUsage, args)
}
func (m *Main) parseUsersUpdate(args []string) (command, error) {
	return m.parseUserEdit("update", usersUpdateUsage, args)
}

func (m *Main) parseUserEdit(name, usage string, args []string) (command, error) {
	fs := newFlagSet("users " + name)
	c := &userEditCommand{remote: m.remoteFlags(fs), update: name == "update"}
	c.flags.define(fs, c.update)
	if err := m.parseFlags(fs, usage, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, &usageError{Msg: fmt.Sprintf("users %s takes one UPN after the flags, got %d arguments (run 'allot users %s -h' for usage)", name, fs.NArg(), name)}
	}
	c.user = strings.TrimSpace(fs.Arg(0))
	switch {
	case c.flags.block && c.flags.allow:
		return nil, &usageError{Msg: "users update: --block-sign-in and --allow-sign-in exclude each other"}
	case !c.update && (!c.flags.name.set || strings.TrimSpace(c.flags.name.value) == ""):
		return nil, &usageError{Msg: "users create needs --name, the user's display name"}
	case c.update && c.flags.fields() == (client.UserFields{}):
		return nil, &usageError{Msg: "users update: nothing to change; give --name, --usage-location, --block-sign-in, … (run 'allot users update -h' for usage)"}
	}
	if err := c.remote.finish("users " + name); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("users " + name)
	return c, err
}

func (c *userEditCommand) run(ctx context.Context) error {
	f := c.flags.fields()
	var raw json.RawMessage
	var err error
	verb := "updated"
	if c.update {
		raw, err = c.cl.UpdateUser(ctx, c.user, f)
	} else {
		verb = "created"
		enabled := !c.flags.block
		f.UserPrincipalName, f.AccountEnabled = &c.user, &enabled
		raw, err = c.cl.CreateUser(ctx, f)
	}
	if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, raw)
	}
	var u graphUser
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.remote.m.Stdout, "%s %s: name %q, usage location %s, sign-in %s\n",
		verb, u.UPN, u.DisplayName, orDash(u.UsageLocation), u.signIn())
	return err
}
