package graph

import (
	"fmt"
	"strings"

	"github.com/allot-project/allot"
)

// This file is the $filter parser: a tokenizer and a recursive descent
// parser of the small OData subset that allot's filters can answer. The
// connectives, parentheses, lambdas (collection/any(v:v/prop eq value))
// and comparisons are shared; each entity gives the clauses it supports
// (users here, directoryAudits in audit.go). For users, the grammar is
// (keywords and property names case-insensitive):
//
//	filter  = clause *( "and" clause )
//	clause  = "(" filter ")"
//	        / "assignedLicenses/any(" var ":" var "/skuId eq" guid ")"
//	        / "assignedLicenses/$count eq 0"
//	        / "startsWith(displayName," string ")"
//	        / ( "userPrincipalName" / "id" ) " eq " string
//	        / "accountEnabled eq " ( "true" / "false" )
//
// A GUID may be quoted or not (Graph writes it unquoted); strings use ''
// for a quote. Each kind of clause may appear once, since the clauses are
// ANDed into one allot.UserFilter. Anything else is refused:
// Request_UnsupportedQuery naming what is unsupported when the filter is
// well formed, Request_BadRequest when it is not (a syntax error or a
// malformed GUID).

// Limits that keep hostile filters cheap.
const (
	maxFilterLen   = 4096
	maxFilterDepth = 16
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokString
	tokLParen
	tokRParen
	tokSlash
	tokComma
	tokColon
)

type token struct {
	kind tokenKind
	text string // a word as written, or a string literal's value
	pos  int    // byte offset in the filter, for messages
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return "'" + truncate(strings.ReplaceAll(t.text, "'", "''"), 40) + "'"
	}
	return "'" + truncate(t.text, 40) + "'"
}

// punctuation maps the one-character tokens to their kinds.
var punctuation = [256]tokenKind{'(': tokLParen, ')': tokRParen, '/': tokSlash, ',': tokComma, ':': tokColon}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '-' || c == '.'
}

// lexFilter splits a filter into tokens.
func lexFilter(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case punctuation[c] != tokEOF:
			toks = append(toks, token{kind: punctuation[c], text: string(c), pos: i})
			i++
		case c == '\'':
			str, n, ok := lexString(s[i:])
			if !ok {
				return nil, filterSyntax(i, "the string literal is not terminated")
			}
			toks = append(toks, token{kind: tokString, text: str, pos: i})
			i += n
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		default:
			return nil, filterSyntax(i, fmt.Sprintf("the character %q is not valid here", rune(c)))
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// lexString reads a quoted OData string at the start of s, where two
// quotes in a row stand for one.
func lexString(s string) (value string, n int, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

func filterSyntax(pos int, why string) *apiError {
	return badRequest(fmt.Sprintf("Invalid filter clause: %s at position %d.", why, pos))
}

// userQuery is a parsed $filter.
type userQuery struct {
	filter   allot.UserFilter
	advanced bool // uses assignedLicenses/$count, an advanced query
	licenses bool // filters on assignedLicenses
}

// parseFilter parses a $filter on users. Its errors are *apiError.
func parseFilter(s string) (*userQuery, error) {
	p := &filterParser{entity: "users"}
	p.clause = p.userClause
	if err := p.parse(s); err != nil {
		return nil, err
	}
	return &p.q, nil
}

// filterParser parses one $filter. clause parses the clauses of the
// entity that start with a property or function name (t), the parser
// itself the rest.
type filterParser struct {
	toks   []token
	i      int
	depth  int
	seen   map[string]bool
	entity string // the entity set filtered, for messages ("users")
	clause func(t token) error
	q      userQuery
}

// parse parses the whole filter s. Its errors are *apiError.
func (p *filterParser) parse(s string) error {
	if len(s) > maxFilterLen {
		return badRequest(fmt.Sprintf("The $filter is longer than %d characters.", maxFilterLen))
	}
	toks, err := lexFilter(s)
	if err != nil {
		return err
	}
	p.toks, p.seen = toks, map[string]bool{}
	if p.peek().kind == tokEOF {
		return filterSyntax(0, "the filter is empty")
	}
	if err := p.parseAnd(); err != nil {
		return err
	}
	if t := p.peek(); t.kind != tokEOF {
		return p.unexpected(t)
	}
	return nil
}

func (p *filterParser) peek() token { return p.toks[p.i] }

func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// isWord reports whether t is the word w, case-insensitively.
func isWord(t token, w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

func (p *filterParser) unexpected(t token) error {
	if isWord(t, "or") || isWord(t, "not") {
		return unsupportedQuery(fmt.Sprintf("The operator '%s' is not supported in $filter on %s; only 'and' is.", strings.ToLower(t.text), p.entity))
	}
	return filterSyntax(t.pos, "unexpected "+t.String())
}

// expect consumes a token of the kind, or fails naming what was wanted.
func (p *filterParser) expect(kind tokenKind, want string) error {
	if t := p.peek(); t.kind != kind {
		return filterSyntax(t.pos, fmt.Sprintf("expected %s but found %s", want, t))
	}
	p.next()
	return nil
}

func (p *filterParser) parseAnd() error {
	if err := p.parseClause(); err != nil {
		return err
	}
	for isWord(p.peek(), "and") {
		p.next()
		if err := p.parseClause(); err != nil {
			return err
		}
	}
	return nil
}

func (p *filterParser) parseClause() error {
	t := p.next()
	switch {
	case t.kind == tokLParen:
		if p.depth++; p.depth > maxFilterDepth {
			return filterSyntax(t.pos, "parentheses are nested too deeply")
		}
		if err := p.parseAnd(); err != nil {
			return err
		}
		p.depth--
		return p.expect(tokRParen, "')'")
	case t.kind != tokWord:
		return filterSyntax(t.pos, "expected a property or a function but found "+t.String())
	case isWord(t, "not"):
		return unsupportedQuery(fmt.Sprintf("The operator 'not' is not supported in $filter on %s.", p.entity))
	}
	return p.clause(t)
}

// userClause parses a clause of a filter on users.
func (p *filterParser) userClause(t token) error {
	switch {
	case p.peek().kind == tokLParen:
		return p.parseFunction(t)
	case isWord(t, "assignedLicenses"):
		return p.parseAssignedLicenses(t)
	case isWord(t, "userPrincipalName"), isWord(t, "id"), isWord(t, "accountEnabled"):
		return p.parseComparison(t)
	}
	return unsupportedQuery(fmt.Sprintf("Filtering users on '%s' is not supported; supported: assignedLicenses/any(x:x/skuId eq <guid>), assignedLicenses/$count eq 0, userPrincipalName eq, id eq, accountEnabled eq, startsWith(displayName, …).", truncate(t.text, 40)))
}

// once refuses a second clause of the same kind.
func (p *filterParser) once(kind string) error {
	if p.seen[kind] {
		return unsupportedQuery(fmt.Sprintf("The clause '%s' may appear only once in $filter on %s.", kind, p.entity))
	}
	p.seen[kind] = true
	return nil
}

// operator consumes the comparison operator after a property; only eq is
// supported.
func (p *filterParser) operator(prop string) error {
	_, err := p.comparison(prop, "eq")
	return err
}

// comparison consumes the comparison operator after a property, one of
// ops, and returns it in lower case.
func (p *filterParser) comparison(prop string, ops ...string) (string, error) {
	t := p.next()
	if t.kind != tokWord {
		return "", filterSyntax(t.pos, "expected an operator after '"+prop+"' but found "+t.String())
	}
	for _, op := range ops {
		if isWord(t, op) {
			return op, nil
		}
	}
	return "", unsupportedQuery(fmt.Sprintf("The operator '%s' is not supported on '%s'; only '%s' is.", truncate(t.text, 20), prop, strings.Join(ops, "', '")))
}

func (p *filterParser) parseFunction(name token) error {
	if !isWord(name, "startsWith") {
		return unsupportedQuery(fmt.Sprintf("The function '%s' is not supported in $filter on users; only startsWith(displayName, '…') is.", truncate(name.text, 40)))
	}
	p.next() // (
	prop := p.next()
	if prop.kind != tokWord {
		return filterSyntax(prop.pos, "expected a property but found "+prop.String())
	}
	if !isWord(prop, "displayName") {
		return unsupportedQuery(fmt.Sprintf("startsWith is supported on displayName only, not on '%s'.", truncate(prop.text, 40)))
	}
	if err := p.expect(tokComma, "','"); err != nil {
		return err
	}
	v := p.next()
	if v.kind != tokString {
		return filterSyntax(v.pos, "expected a string literal but found "+v.String())
	}
	if err := p.expect(tokRParen, "')'"); err != nil {
		return err
	}
	if err := p.once("startsWith(displayName)"); err != nil {
		return err
	}
	p.q.filter.NamePrefix = v.text
	return nil
}

func (p *filterParser) parseAssignedLicenses(prop token) error {
	if err := p.expect(tokSlash, "'/'"); err != nil {
		return err
	}
	seg := p.next()
	switch {
	case isWord(seg, "any") && p.peek().kind == tokLParen:
		return p.parseAny()
	case isWord(seg, "$count"):
		if err := p.operator("assignedLicenses/$count"); err != nil {
			return err
		}
		if v := p.next(); v.kind != tokWord || v.text != "0" {
			return unsupportedQuery("Only 'assignedLicenses/$count eq 0' (users without licenses) is supported, not " + v.String() + ".")
		}
		if err := p.once("assignedLicenses/$count"); err != nil {
			return err
		}
		p.q.filter.Unlicensed, p.q.advanced, p.q.licenses = true, true, true
		return nil
	}
	return unsupportedQuery(fmt.Sprintf("'assignedLicenses/%s' is not supported in $filter; use assignedLicenses/any(x:x/skuId eq <guid>) or assignedLicenses/$count eq 0.", truncate(seg.text, 40)))
}

// parseAny parses "(x:x/skuId eq <guid>)" after assignedLicenses/any.
func (p *filterParser) parseAny() error {
	var sku string
	err := p.parseLambda("assignedLicenses", "skuId", "<guid>", func() (err error) {
		sku, err = p.guid("skuId")
		return err
	})
	if err != nil {
		return err
	}
	if err := p.once("assignedLicenses/any"); err != nil {
		return err
	}
	p.q.filter.SKUID, p.q.licenses = sku, true
	return nil
}

// parseLambda parses "(v:v/<inner> eq <value>)" after "<collection>/any",
// reading the value with value; shape describes the value in messages.
func (p *filterParser) parseLambda(collection, inner, shape string, value func() error) error {
	p.next() // (
	v := p.next()
	if v.kind != tokWord {
		return filterSyntax(v.pos, "expected a lambda variable but found "+v.String())
	}
	if err := p.expect(tokColon, "':'"); err != nil {
		return err
	}
	if ref := p.next(); ref.kind != tokWord || ref.text != v.text {
		return filterSyntax(ref.pos, fmt.Sprintf("expected the lambda variable '%s' but found %s", truncate(v.text, 20), ref))
	}
	if err := p.expect(tokSlash, "'/'"); err != nil {
		return err
	}
	if prop := p.next(); !isWord(prop, inner) {
		return unsupportedQuery(fmt.Sprintf("Only %s can be tested inside %s/any(), not %s.", inner, collection, prop))
	}
	if err := p.operator(inner); err != nil {
		return err
	}
	if err := value(); err != nil {
		return err
	}
	if t := p.peek(); t.kind != tokRParen {
		if isWord(t, "and") || isWord(t, "or") {
			return unsupportedQuery(fmt.Sprintf("Only one condition, x/%s eq %s, is supported inside %s/any().", inner, shape, collection))
		}
		return filterSyntax(t.pos, "expected ')' but found "+t.String())
	}
	p.next()
	return nil
}

// guid reads a GUID literal, quoted or not.
func (p *filterParser) guid(prop string) (string, error) {
	t := p.next()
	if t.kind != tokWord && t.kind != tokString {
		return "", filterSyntax(t.pos, "expected a GUID but found "+t.String())
	}
	g, ok := canonicalGUID(t.text)
	if !ok {
		return "", badGUID(prop, t.String())
	}
	return g, nil
}

func (p *filterParser) parseComparison(prop token) error {
	name := prop.text
	if err := p.operator(name); err != nil {
		return err
	}
	switch {
	case isWord(prop, "id"):
		id, err := p.guid("id")
		if err != nil {
			return err
		}
		p.q.filter.ID = id
		return p.once("id")
	case isWord(prop, "userPrincipalName"):
		v := p.next()
		if v.kind != tokString {
			return filterSyntax(v.pos, "expected a string literal after 'userPrincipalName eq' but found "+v.String())
		}
		if v.text == "" {
			return badRequest("userPrincipalName eq '' matches no user: give a userPrincipalName.")
		}
		p.q.filter.UPN = v.text
		return p.once("userPrincipalName")
	}
	v := p.next()
	if !isWord(v, "true") && !isWord(v, "false") {
		return badRequest(fmt.Sprintf("Cannot convert the literal %s to the expected type 'Edm.Boolean' of property 'accountEnabled'.", v))
	}
	enabled := isWord(v, "true")
	p.q.filter.Enabled = &enabled
	return p.once("accountEnabled")
}
