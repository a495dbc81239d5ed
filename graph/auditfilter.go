package graph

import (
	"fmt"
	"time"

	"github.com/allot-project/allot"
)

// This file holds the clauses of a $filter on directoryAudits, parsed by
// the shared parser of query.go (keywords and properties
// case-insensitive, clauses ANDed):
//
//	clause = "activityDateTime" ( "ge" / "gt" / "le" / "lt" ) datetime
//	       / "category eq" string
//	       / "targetResources/any(" var ":" var "/id eq" guid ")"
//	       / "initiatedBy/user/id eq" guid
//	       / "initiatedBy/app/servicePrincipalId eq" guid
//
// A datetime is written as Graph writes it, unquoted (2026-03-02T09:00:00Z,
// or a date alone for its midnight UTC) or quoted. A target id that is a
// product's skuId selects the events about the product; one user (or
// other object) and one product may be named.

// parseAuditFilter parses a $filter on directoryAudits into f.
func (s *Server) parseAuditFilter(str string, f *allot.AuditFilter) error {
	p := &filterParser{entity: "directoryAudits"}
	p.clause = func(t token) error { return s.auditClause(p, f, t) }
	return p.parse(str)
}

func (s *Server) auditClause(p *filterParser, f *allot.AuditFilter, t token) error {
	switch {
	case isWord(t, "activityDateTime"):
		return parseAuditTime(p, f)
	case isWord(t, "category"):
		if err := p.operator("category"); err != nil {
			return err
		}
		v := p.next()
		if v.kind != tokString {
			return filterSyntax(v.pos, "expected a string literal after 'category eq' but found "+v.String())
		}
		f.Category = v.text
		return p.once("category")
	case isWord(t, "targetResources"):
		return s.parseAuditTarget(p, f)
	case isWord(t, "initiatedBy"):
		return parseInitiator(p, f)
	}
	return unsupportedQuery(fmt.Sprintf("Filtering directoryAudits on '%s' is not supported; supported: activityDateTime ge|gt|le|lt <datetime>, category eq '…', targetResources/any(t:t/id eq '<id>'), initiatedBy/user/id eq '<id>', initiatedBy/app/servicePrincipalId eq '<id>'.", truncate(t.text, 40)))
}

// parseAuditTime parses "<op> <datetime>" after activityDateTime; several
// bounds keep the tightest.
func parseAuditTime(p *filterParser, f *allot.AuditFilter) error {
	op, err := p.comparison("activityDateTime", "ge", "gt", "le", "lt")
	if err != nil {
		return err
	}
	at, err := p.dateTime()
	if err != nil {
		return err
	}
	switch op {
	case "gt":
		at = at.Add(time.Microsecond) // times are kept to the microsecond
		fallthrough
	case "ge":
		if at.After(f.Since) {
			f.Since = at
		}
	case "lt":
		at = at.Add(-time.Microsecond)
		fallthrough
	case "le":
		if f.Until.IsZero() || at.Before(f.Until) {
			f.Until = at
		}
	}
	return nil
}

// dateTime reads a DateTimeOffset literal: quoted, or unquoted, where the
// lexer has split it at its colons.
func (p *filterParser) dateTime() (time.Time, error) {
	t := p.next()
	lit := t.text
	if t.kind == tokWord {
		end := t.pos + len(t.text)
		for n := p.peek(); (n.kind == tokColon || n.kind == tokWord) && n.pos == end; n = p.peek() {
			lit += n.text
			end += len(n.text)
			p.next()
		}
	} else if t.kind != tokString {
		return time.Time{}, filterSyntax(t.pos, "expected a date and time but found "+t.String())
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if at, err := time.Parse(layout, lit); err == nil {
			return at.UTC(), nil
		}
	}
	return time.Time{}, badRequest(fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset': write it as 2026-03-02T09:00:00Z.", truncate(lit, 40)))
}

// parseAuditTarget parses "/any(t:t/id eq <id>)" after targetResources.
func (s *Server) parseAuditTarget(p *filterParser, f *allot.AuditFilter) error {
	if err := p.expect(tokSlash, "'/'"); err != nil {
		return err
	}
	if seg := p.next(); !isWord(seg, "any") || p.peek().kind != tokLParen {
		return unsupportedQuery(fmt.Sprintf("'targetResources/%s' is not supported in $filter; use targetResources/any(t:t/id eq '<id>').", truncate(seg.text, 40)))
	}
	var id string
	err := p.parseLambda("targetResources", "id", "'<id>'", func() (err error) {
		id, err = p.guid("id")
		return err
	})
	if err != nil {
		return err
	}
	if s.catalog.SKU(id) != nil {
		f.SKUID = id
		return p.once("targetResources/any(t:t/id eq '<product>')")
	}
	f.UserID = id
	return p.once("targetResources/any(t:t/id eq '<id>')")
}

// parseInitiator parses "/user/id eq <id>" or
// "/app/servicePrincipalId eq <id>" after initiatedBy.
func parseInitiator(p *filterParser, f *allot.AuditFilter) error {
	if err := p.expect(tokSlash, "'/'"); err != nil {
		return err
	}
	kind := p.next()
	prop := "id"
	switch {
	case isWord(kind, "user"):
	case isWord(kind, "app"):
		prop, f.ActorApp = "servicePrincipalId", true
	default:
		return unsupportedQuery(fmt.Sprintf("'initiatedBy/%s' is not supported in $filter; use initiatedBy/user/id or initiatedBy/app/servicePrincipalId.", truncate(kind.text, 40)))
	}
	if err := p.expect(tokSlash, "'/'"); err != nil {
		return err
	}
	if t := p.next(); !isWord(t, prop) {
		return unsupportedQuery(fmt.Sprintf("Only initiatedBy/%s/%s can be filtered on, not %s.", kind.text, prop, t))
	}
	if err := p.operator(prop); err != nil {
		return err
	}
	id, err := p.guid(prop)
	if err != nil {
		return err
	}
	f.ActorID = id
	return p.once("initiatedBy")
}
