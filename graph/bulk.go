package graph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/trace"

	"github.com/allot-project/allot"
)

// This file is allot's own extension of Graph: one license change applied
// to many users (capability A3), which Graph only offers through group
// licensing. It serves the allot CLI's "license assign/unassign" with
// several users. POST /api/bulkAssignLicense takes a BulkRequest and
// answers 200 with a BulkResponse (apitypes.go). In allOrNothing mode a
// refusal for one user refuses everything: 400 Request_BadRequest whose
// details[0] names the user as its target. Per-user error codes are the licensing
// rule ("CountViolation", …) or else the Graph code of the error.

func (s *Server) registerBulkRoutes() {
	s.route("POST /api/bulkAssignLicense", s.bulkWork(refuseBulkEarly, s.bulkAssignLicense))
}

// refuseBulkEarly refuses, before the body is read, a principal that can
// neither assign licenses nor have bought a pool: an application without
// a license role. A user might be the purchaser of a pool the change
// names, which only the store can tell; until then such a user's body is
// held to the ordinary limit, not the bulk one.
func refuseBulkEarly(p allot.Principal) error {
	if !p.Can(allot.ActionAssignLicenses) && p.UserID == "" {
		return allot.AuthorizeLicenseChange(p, nil)
	}
	return nil
}

func (s *Server) bulkAssignLicense(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQueryOptions(r, 0); err != nil {
		return err
	}
	p := principalFrom(r)
	limit := s.maxBulk
	if !p.Can(allot.ActionAssignLicenses) {
		limit = min(limit, s.maxBody)
	}
	region := trace.StartRegion(r.Context(), "graph.bulk.decode") // go tool trace, User-defined regions
	raw, err := s.readBodyLimit(w, r, limit)
	if err != nil {
		region.End()
		return err
	}
	b, err := decodeBulkChange(raw)
	raw = nil // not kept while the change runs
	region.End()
	if err != nil {
		return err
	}
	if wantsAsync(r) {
		return s.startOperation(w, r, "bulkAssignLicense", len(b.Users), s.runBulk(p, b))
	}
	results, err := s.svc.Licenses.AssignLicensesBulk(r.Context(), p, b)
	if err != nil {
		return bulkRefusal(err, results)
	}
	defer trace.StartRegion(r.Context(), "graph.bulk.answer").End()
	s.writeBulkResponse(w, r, b, results)
	return nil
}

// runBulk is the work of a bulk change run as an operation (operation.go).
func (s *Server) runBulk(p allot.Principal, b allot.BulkLicenseChange) operationRun {
	return func(ctx context.Context, progress func(allot.Progress)) (func(io.Writer) error, error) {
		b.Progress = progress
		results, err := s.svc.Licenses.AssignLicensesBulk(ctx, p, b)
		if err != nil {
			return nil, bulkRefusal(err, results)
		}
		return func(w io.Writer) error { return s.encodeBulkResponse(w, b, results) }, nil
	}
}

// writeBulkResponse streams the BulkResponse of results: each result is
// encoded and written as it comes, so the answer is never held whole, and
// the counts follow the results. Once the status is sent a failure to
// write (the client went away) can only end the answer.
func (s *Server) writeBulkResponse(w http.ResponseWriter, r *http.Request, b allot.BulkLicenseChange, results []allot.BulkResult) {
	writeJSONHeader(w, http.StatusOK)
	if err := s.encodeBulkResponse(w, b, results); err != nil {
		s.log.InfoContext(r.Context(), "bulk answer cut", "request_id", infoFrom(r.Context()).id, "err", err)
	}
}

// encodeBulkResponse writes the BulkResponse of results to w.
func (s *Server) encodeBulkResponse(w io.Writer, b allot.BulkLicenseChange, results []allot.BulkResult) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var sum BulkResponse
	var out BulkResult // one, reused: encoding a value would allocate a copy per user
	// data counts what a dry run would do to the users' data as results go.
	var data allot.ImpactSummary
	bw.WriteString(`{"results":[`)
	for i, res := range results {
		out = BulkResult{User: res.User, ID: res.UserID, Changed: res.Changed}
		if res.Data != nil {
			info := NewDataImpactInfo(res.Data)
			out.Data = &info
			data.Add(res.Data)
		}
		switch {
		case res.Err != nil:
			out.Changed = false
			out.Error = bulkErrorDetail(res.Err, res.User)
			sum.Failed++
		case res.Changed:
			sum.Changed++
			if !b.DryRun {
				s.metrics.countAssignments(len(b.Change.Add), len(b.Change.Remove))
			}
		default:
			sum.Unchanged++
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(&out); err != nil {
			return err
		}
	}
	fmt.Fprintf(bw, `],"changed":%d,"unchanged":%d,"failed":%d,"dryRun":%t`, sum.Changed, sum.Unchanged, sum.Failed, b.DryRun)
	if b.DryRun {
		bw.WriteString(`,"dataSummary":`)
		enc.Encode(NewDataSummaryInfo(data)) // a failure to write shows at the Flush below
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// bulkRefusal turns the error of a refused bulk change into the answer:
// the refusal of one user (allOrNothing) is 400 with that user as the
// target of details[0]; a failure of the whole is rendered as usual.
func bulkRefusal(err error, results []allot.BulkResult) error {
	for _, res := range results {
		if res.Err == nil {
			continue
		}
		d := bulkErrorDetail(res.Err, res.User)
		if d.Code == codeInternal {
			return err
		}
		return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: d.Message, details: []errorDetail{errorDetail(*d)}}
	}
	return err
}

// bulkErrorDetail describes one user's refusal.
func bulkErrorDetail(err error, user string) *BulkError {
	e, _ := toAPIError(err, user)
	code := e.code
	if len(e.details) > 0 {
		code = e.details[0].Code
	}
	return &BulkError{Code: code, Message: e.message, Target: user}
}

// decodeBulkChange decodes a bulk request (a BulkRequest) into bulkBody
// and checks it. Unlike Graph's bodies, an unknown property is refused:
// this API is allot's own, and a misspelt "dryRun" must not write. Names
// match case-insensitively, as Graph's do; a property given twice, or
// null, is refused or ignored as by parseObject.
func decodeBulkChange(body []byte) (allot.BulkLicenseChange, error) {
	members, err := bulkMembersOf(body)
	if err != nil {
		return allot.BulkLicenseChange{}, err
	}
	bb := bulkBody{SkipUnchanged: boolMember{prop: "skipUnchanged"}, DryRun: boolMember{prop: "dryRun"}}
	for k, value := range members {
		bb.member(k).UnmarshalJSON(value) // each keeps its error, for change
	}
	return bb.change()
}

// bulkMembers are the properties of a bulk request.
var bulkMembers = []string{"users", "addLicenses", "removeLicenses", "mode", "skipUnchanged", "dryRun"}

// bulkMembersOf returns the members of the bulk request body by their
// names in bulkMembers, checking that body is a JSON object whose
// properties are bulkMembers, each at most once, or annotations. The body
// is validated once and then walked once (eachMember): W5's 100,000 users
// took 77 ms in the seven scans of their 3.9 MB that decoding through
// encoding/json made (docs/performance.md, wave 18).
func bulkMembersOf(body []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 || !json.Valid(body) || nodeKind(body) != "StartObject" {
		_, err := parseObject(body)
		return nil, err
	}
	obj := jsonObject{}
	eachMember(body, func(name, value []byte) { obj[memberName(name)] = value }) // a later duplicate wins
	members, unknown, err := obj.members(bulkMembers)
	if err == nil && len(unknown) > 0 {
		err = badRequest(fmt.Sprintf("The property '%s' does not exist on bulkAssignLicense.", truncate(unknown[0], 60)))
	}
	return members, err
}

// bulkBody is a BulkRequest as decoded: each member decodes itself with
// Graph's checks and keeps its error, which change reports in a fixed
// order. JSON null is the same as an absent member.
type bulkBody struct {
	Users                       usersMember
	AddLicenses, RemoveLicenses rawMember
	Mode                        stringMember
	SkipUnchanged, DryRun       boolMember
}

// member returns the member named k, one of bulkMembers.
func (bb *bulkBody) member(k string) json.Unmarshaler {
	switch k {
	case "users":
		return &bb.Users
	case "addLicenses":
		return &bb.AddLicenses
	case "removeLicenses":
		return &bb.RemoveLicenses
	case "mode":
		return &bb.Mode
	case "skipUnchanged":
		return &bb.SkipUnchanged
	}
	return &bb.DryRun
}

// change checks the body and returns the change it asks for.
func (bb *bulkBody) change() (allot.BulkLicenseChange, error) {
	b := allot.BulkLicenseChange{Users: bb.Users.users, SkipUnchanged: bb.SkipUnchanged.v, DryRun: bb.DryRun.v}
	var err error
	switch {
	case !bb.Users.set:
		return b, badRequest("The parameter 'users' is missing: list the ids or userPrincipalNames to change.")
	case bb.Users.err != nil:
		return b, bb.Users.err
	case len(b.Users) == 0:
		return b, badRequest("The parameter 'users' is empty: list at least one user.")
	case len(b.Users) > MaxBulkUsers:
		return b, badRequest(fmt.Sprintf("The parameter 'users' lists %d users, more than the limit of %d a request: send them in several requests.", len(b.Users), MaxBulkUsers))
	}
	// Optional here, unlike in Graph's assignLicense.
	m := map[string]json.RawMessage{"addLicenses": bb.AddLicenses.orEmpty(), "removeLicenses": bb.RemoveLicenses.orEmpty()}
	if b.Change, err = licenseChangeFrom(m); err != nil {
		return b, err
	}
	if len(b.Change.Add) == 0 && len(b.Change.Remove) == 0 {
		return b, badRequest("No license changes provided. At least one license to add or remove must be specified.")
	}
	if b.AllOrNothing, err = bb.Mode.allOrNothing(); err != nil {
		return b, err
	}
	if err = bb.SkipUnchanged.err; err == nil {
		err = bb.DryRun.err
	}
	return b, err
}

// usersMember is the users of a bulk request.
type usersMember struct {
	set   bool
	users []string
	err   error
}

// UnmarshalJSON decodes the users in one pass, and again item by item
// only to explain an error with Graph's message.
func (m *usersMember) UnmarshalJSON(raw []byte) error {
	*m = usersMember{} // a later duplicate wins, as in parseObject
	if isNull(raw) {
		return nil
	}
	m.set = true
	var ok bool
	if m.users, ok = plainStrings(raw); ok || json.Unmarshal(raw, &m.users) == nil {
		return nil
	}
	m.users = nil
	items, err := decodeArray("users", raw)
	for _, it := range items {
		if _, err = decodeString("users", it); err != nil {
			break
		}
	}
	if m.err = err; err == nil { // cannot happen: the fast path failed
		m.err = badRequest(msgBadJSON)
	}
	return nil
}

// rawMember is a small member checked later by a helper shared with
// Graph's bodies (addLicenses, removeLicenses).
type rawMember struct{ raw json.RawMessage }

// UnmarshalJSON keeps a copy of the member.
func (m *rawMember) UnmarshalJSON(raw []byte) error {
	m.raw = nil
	if !isNull(raw) {
		m.raw = bytes.Clone(raw)
	}
	return nil
}

// orEmpty returns the member, or an empty array when it is absent.
func (m *rawMember) orEmpty() json.RawMessage {
	if m.raw == nil {
		return json.RawMessage("[]")
	}
	return m.raw
}

// stringMember is the mode of a bulk request.
type stringMember struct {
	s   string
	err error
}

// UnmarshalJSON decodes the mode.
func (m *stringMember) UnmarshalJSON(raw []byte) error {
	m.s, m.err = decodeString("mode", raw)
	return nil
}

// allOrNothing reports whether the mode is BulkAllOrNothing.
func (m *stringMember) allOrNothing() (bool, error) {
	switch {
	case m.err != nil:
		return false, m.err
	case m.s == "" || m.s == BulkPerUser:
		return false, nil
	case m.s == BulkAllOrNothing:
		return true, nil
	}
	return false, badRequest(fmt.Sprintf("Invalid mode '%s': use perUser or allOrNothing.", truncate(m.s, 40)))
}

// boolMember is a flag of a bulk request, named prop.
type boolMember struct {
	prop string
	v    bool
	err  error
}

// UnmarshalJSON decodes the flag.
func (m *boolMember) UnmarshalJSON(raw []byte) error {
	m.v, m.err = false, nil
	if !isNull(raw) {
		m.v, m.err = decodeBool(m.prop, raw)
	}
	return nil
}
