package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/graph"
)

// reportData prints, after a dry run, what the change would do to each
// user's data and a summary, as the server's dry run says them (the rule
// the change applies, allot.NextUserData, and allot.ImpactSummary): one
// request, however many users.
func (c *licenseCommand) reportData(all graph.BulkResponse) error {
	if all.DataSummary == nil || all.DataSummary.Users == 0 {
		return nil
	}
	out := c.remote.m.Stdout
	t := newTable(out, "USER", "DATA")
	for _, r := range all.Results {
		if r.Data != nil {
			t.row(r.User, r.Data.Summary)
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, "data:", all.DataSummary.Summary)
	return err
}

// impactOf turns the wire form of an impact back into the domain's, so
// that the CLI words it and sums it up with the rule's own functions.
func impactOf(im *graph.DataImpactInfo) allot.DataImpact {
	return allot.DataImpact{UserID: im.UserID, UserPrincipalName: im.UserPrincipalName, Before: userDataOf(im.Before), After: userDataOf(im.After),
		Held: im.Held, SearchableBefore: im.SearchableBefore, SearchableAfter: im.SearchableAfter}
}

func userDataOf(d graph.UserDataInfo) allot.UserData {
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	return allot.UserData{UserID: d.UserID, UserPrincipalName: d.UserPrincipalName, Mailbox: allot.MailboxState(d.Mailbox),
		MailboxCreatedAt: at(d.MailboxCreatedDateTime), MailboxPurgeAt: at(d.MailboxPurgeDateTime),
		Files: allot.FilesState(d.Files), FilesDeleteAt: at(d.FilesDeleteDateTime)}
}

// previewDelete prints what deleting the user would do to its data,
// changing nothing.
func (c *userCommand) previewDelete(ctx context.Context) error {
	im, err := c.cl.PreviewDelete(ctx, c.user)
	if err != nil {
		return err
	}
	if c.remote.json() {
		return writeJSON(c.remote.m.Stdout, im)
	}
	return writeImpact(c.remote.m.Stdout, "dry run, nothing changed: deleting "+c.user+" would free its licenses", im)
}

func writeImpact(w io.Writer, head string, im *graph.DataImpactInfo) error {
	d := impactOf(im)
	_, err := fmt.Fprintf(w, "%s; its data: %s\n", head, d.String())
	return err
}

const usersDataUsage = `Usage: allot users data [--output table|json] UPN

Data shows the state of a user's mailbox and files: active, disconnected
(in the 30-day grace period that follows the removal of its last mailbox
license or its deletion, with the day it is purged), inactive (kept past
it by a hold), purged; files active, pending deletion (with the day) or
deleted.

Example:

	allot users data adele@contoso.example
`

// data shows a user's data state.
func (c *userCommand) data(ctx context.Context) error {
	d, err := c.cl.UserData(ctx, c.user)
	if err != nil {
		return err
	}
	out := c.remote.m.Stdout
	if c.remote.json() {
		return writeJSON(out, d)
	}
	state := func(s string, at *time.Time, what string) string {
		switch {
		case s == "":
			return "none"
		case at != nil:
			return s + ", " + what + " on " + day(at)
		}
		return s
	}
	t := newTable(out, "UPN:", d.UserPrincipalName)
	t.row("Mailbox:", state(d.Mailbox, d.MailboxPurgeDateTime, "purged"))
	t.row("Files:", state(d.Files, d.FilesDeleteDateTime, "deleted"))
	return t.flush()
}
