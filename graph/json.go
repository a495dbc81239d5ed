package graph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	contentTypeJSON = "application/json"
	// dateTimeFormat is Graph's DateTimeOffset: UTC, whole seconds, "Z".
	dateTimeFormat = "2006-01-02T15:04:05Z"
)

// writeJSONHeader sends the header of a JSON answer with status.
func writeJSONHeader(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	writeJSONHeader(w, status)
	_, err := w.Write(buf.Bytes())
	return err
}

// dateTime formats t as a Graph DateTimeOffset, null when zero.
func dateTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(dateTimeFormat)
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// readBody returns the request body, decompressed when it is gzip.
//
// The body is sniffed, not trusted to its header (graph-api.md §0.4): one
// that starts with the gzip magic bytes is gunzipped whatever
// Content-Encoding says, and one labelled gzip that is not gzip is read as
// it is. Another Content-Encoding (br, deflate) is refused with 415, which
// makes Graph SDKs resend uncompressed. The size limit applies to the body
// as sent and again to the decompressed body (413).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return s.readBodyLimit(w, r, s.maxBody)
}

// readWriteBody reads the body of a write (POST, PATCH), which takes no
// system query options.
func (s *Server) readWriteBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if _, err := parseQueryOptions(r, 0); err != nil {
		return nil, err
	}
	return s.readBody(w, r)
}

// readBodyLimit is readBody with a limit of its own.
func (s *Server) readBodyLimit(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(limit)
	} else if err != nil {
		return nil, badRequest("The request body could not be read.")
	}
	if !bytes.HasPrefix(raw, gzipMagic) {
		switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
		case "", "gzip", "x-gzip", "identity":
			return raw, nil
		default:
			return nil, &apiError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia,
				message: "Content-Encoding '" + truncate(enc, 40) + "' is not supported: send the body as is or gzip-compressed."}
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, badRequest("The request body starts like gzip data but is not valid gzip.")
	}
	body, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, badRequest("The request body starts like gzip data but is not valid gzip.")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
		message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", limit)}
}

// jsonObject is a decoded JSON object whose members are decoded one by one
// with Graph's type checks and messages.
type jsonObject map[string]json.RawMessage

// msgBadJSON is Graph's message for a body that is not JSON.
const msgBadJSON = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."

// parseObject decodes body, which must be one JSON object.
func parseObject(body []byte) (jsonObject, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("Empty Payload. JSON content expected.")
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest(msgBadJSON + " (" + jsonErrorText(err) + ")")
	}
	if kind := nodeKind(raw); kind != "StartObject" {
		return nil, badRequest("The request body must be a JSON object, not a " + kindName(kind) + ".")
	}
	var obj jsonObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, badRequest(msgBadJSON)
	}
	return obj, nil
}

// jsonErrorText describes a JSON syntax error without Go type names.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at offset %d", se.Error(), se.Offset)
	}
	return "the body is not valid JSON"
}

// nodeKind names the JSON node raw starts with, as OData's reader does.
func nodeKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "None"
	}
	switch raw[0] {
	case '{':
		return "StartObject"
	case '[':
		return "StartArray"
	case 'n':
		return "Null"
	}
	return "PrimitiveValue"
}

func kindName(kind string) string {
	switch kind {
	case "StartArray":
		return "JSON array"
	case "Null":
		return "null"
	}
	return "JSON primitive value"
}

// isNull reports whether raw is JSON null.
func isNull(raw json.RawMessage) bool { return nodeKind(raw) == "Null" }

// wrongNode is OData's message for a value of the wrong JSON kind.
func wrongNode(prop, got, want string) *apiError {
	return badRequest(fmt.Sprintf("A node of type '%s' was read from the JSON reader when trying to read the contents of the property '%s'; however, a '%s' node was expected.", got, prop, want))
}

// literal returns raw for a message, shortened.
func literal(raw json.RawMessage) string { return truncate(string(bytes.TrimSpace(raw)), 64) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decodeString decodes a string member; null gives "".
func decodeString(prop string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if kind := nodeKind(raw); kind != "PrimitiveValue" {
		return "", wrongNode(prop, kind, "PrimitiveValue")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest(fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.String' of property '%s'.", literal(raw), prop))
	}
	return s, nil
}

// decodeBool decodes a boolean member, which may not be null.
func decodeBool(prop string, raw json.RawMessage) (bool, error) {
	var b bool
	if kind := nodeKind(raw); kind != "PrimitiveValue" {
		return false, wrongNode(prop, kind, "PrimitiveValue")
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, badRequest(fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.Boolean' of property '%s'.", literal(raw), prop))
	}
	return b, nil
}

// decodeGUID decodes a GUID member, returned in lower case.
func decodeGUID(prop string, raw json.RawMessage) (string, error) {
	var s string
	if kind := nodeKind(raw); kind != "PrimitiveValue" {
		return "", wrongNode(prop, kind, "PrimitiveValue")
	}
	err := json.Unmarshal(raw, &s)
	g, ok := canonicalGUID(s)
	if err != nil || !ok {
		return "", badGUID(prop, literal(raw))
	}
	return g, nil
}

// appendGUIDs decodes an array member of GUIDs, appending them to dst in
// lower case.
func appendGUIDs(dst []string, prop string, raw json.RawMessage) ([]string, error) {
	return appendItems(dst, prop, raw, func(_ int, it json.RawMessage) (string, error) { return decodeGUID(prop, it) })
}

// appendItems decodes the array member prop, appending to dst each element
// as decoded by item, which is given the element's index.
func appendItems[T any](dst []T, prop string, raw json.RawMessage, item func(int, json.RawMessage) (T, error)) ([]T, error) {
	items, err := decodeArray(prop, raw)
	if err != nil {
		return dst, err
	}
	for i, it := range items {
		v, err := item(i, it)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// badGUID is the error for a value that is not a GUID; its message starts
// with OData's.
func badGUID(prop, lit string) *apiError {
	return badRequest(fmt.Sprintf("Cannot convert a primitive value to the expected type 'Edm.Guid'. The value %s of property '%s' is not a GUID.", lit, prop))
}

// decodeArray decodes an array member into its elements.
func decodeArray(prop string, raw json.RawMessage) ([]json.RawMessage, error) {
	if kind := nodeKind(raw); kind != "StartArray" {
		return nil, wrongNode(prop, kind, "StartArray")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, badRequest(msgBadJSON)
	}
	return items, nil
}

// decodeObject decodes an object member.
func decodeObject(prop string, raw json.RawMessage) (jsonObject, error) {
	if kind := nodeKind(raw); kind != "StartObject" {
		return nil, wrongNode(prop, kind, "StartObject")
	}
	var obj jsonObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, badRequest(msgBadJSON)
	}
	return obj, nil
}

// isAnnotation reports whether a member name is an OData instance
// annotation ("@odata.type", "prop@odata.bind"), which bodies may carry and
// allot ignores.
func isAnnotation(name string) bool { return strings.Contains(name, "@") }

// members returns o's members keyed by their canonical names among known,
// matched case-insensitively (Graph tolerates PowerShell's PascalCase), and
// the other member names, sorted. Annotations are dropped. A property given
// twice is an error.
func (o jsonObject) members(known []string) (map[string]json.RawMessage, []string, error) {
	out := map[string]json.RawMessage{}
	var unknown []string
	for _, name := range slices.Sorted(maps.Keys(o)) {
		if isAnnotation(name) {
			continue
		}
		canon := ""
		for _, k := range known {
			if strings.EqualFold(k, name) {
				canon = k
			}
		}
		if canon == "" {
			unknown = append(unknown, name)
			continue
		}
		if _, dup := out[canon]; dup {
			return nil, nil, badRequest(fmt.Sprintf("The property '%s' is given more than once.", canon))
		}
		out[canon] = o[name]
	}
	return out, unknown, nil
}

// eachMember calls fn with the name, as written (quoted, escapes kept),
// and the value of each member of the JSON object body, in order. body
// must be valid JSON (json.Valid) whose value is an object: the walk
// checks nothing. One pass over the bytes, for a bulk body whose users
// are megabytes that encoding/json would scan twice for each decoding.
func eachMember(body []byte, fn func(name, value []byte)) {
	i := skipSpace(body, 0) + 1 // past '{'
	for {
		i = skipSpace(body, i)
		switch body[i] {
		case '}':
			return
		case ',':
			i = skipSpace(body, i+1)
		}
		end := skipString(body, i)
		name := body[i:end]
		i = skipSpace(body, skipSpace(body, end)+1) // past ':'
		end = skipValue(body, i)
		fn(name, body[i:end])
		i = end
	}
}

// memberName decodes a member's name as eachMember gives it.
func memberName(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	json.Unmarshal(raw, &s) // valid: the body was
	return s
}

// skipSpace returns the position of the first byte of b from i on that is
// not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the position past the valid JSON string at b[i].
func skipString(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// skipValue returns the position past the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
		i++
	}
	return i
}

// plainStrings decodes a JSON array of strings without escapes, the
// usual list of ids and userPrincipalNames, in one pass; false for
// anything else, which encoding/json then decodes.
func plainStrings(raw []byte) ([]string, bool) {
	if !utf8.Valid(raw) {
		return nil, false
	}
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '[' {
		return nil, false
	}
	out := make([]string, 0, bytes.Count(raw, []byte{','})+1)
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return out, skipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) && raw[i] == '"' {
		j := i + 1
		for j < len(raw) && raw[j] != '"' && raw[j] != '\\' && raw[j] >= 0x20 {
			j++
		}
		if j == len(raw) || raw[j] != '"' {
			return nil, false
		}
		out = append(out, string(raw[i+1:j]))
		i = skipSpace(raw, j+1)
		if i == len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return out, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, false
		}
	}
	return nil, false
}
