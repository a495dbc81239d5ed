package graph

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// entityType describes how one Graph type is rendered: its properties,
// each computed from a value of type T, and the set returned without
// $select.
type entityType[T any] struct {
	name     string // e.g. microsoft.graph.user
	props    map[string]func(T) any
	defaults []string
}

// propNames resolves a $select list to property names of the type.
// $select is case-insensitive, as in Graph; "*" selects every property.
// nil means the default set.
func (et *entityType[T]) propNames(sel []string) ([]string, error) {
	if sel == nil {
		return et.defaults, nil
	}
	var names []string
	for _, s := range sel {
		s = strings.TrimSpace(s)
		if s == "*" {
			return et.all(), nil
		}
		if s == "" {
			return nil, badRequest("Invalid $select: a property name is empty.")
		}
		name, ok := et.canonical(s)
		if !ok {
			return nil, badRequest(fmt.Sprintf("Could not find a property named '%s' on type '%s'.", truncate(s, 60), et.name))
		}
		names = append(names, name)
	}
	return names, nil
}

func (et *entityType[T]) canonical(s string) (string, bool) {
	if _, ok := et.props[s]; ok {
		return s, true
	}
	for name := range et.props {
		if strings.EqualFold(name, s) {
			return name, true
		}
	}
	return "", false
}

func (et *entityType[T]) all() []string { return slices.Sorted(maps.Keys(et.props)) }

// render returns the properties names of v as a JSON object.
func (et *entityType[T]) render(v T, names []string) map[string]any {
	m := make(map[string]any, len(names)+1)
	for _, name := range names {
		m[name] = et.props[name](v)
	}
	return m
}

// selection is a $select resolved against an entity type: the
// properties to render and the fragment @odata.context carries.
type selection[T any] struct {
	et    *entityType[T]
	sel   []string // $select as given, nil when absent
	names []string // the properties rendered
}

// selectProps resolves sel, the $select as given (nil when absent).
func (et *entityType[T]) selectProps(sel []string) (selection[T], error) {
	names, err := et.propNames(sel)
	return selection[T]{et: et, sel: sel, names: names}, err
}

// fixedProps is the selection of names whatever the request says, for the
// answers of writes.
func (et *entityType[T]) fixedProps(names []string) selection[T] {
	return selection[T]{et: et, names: names}
}

// parseSelect reads the query options of an endpoint that supports $select
// only, resolved against et: the preamble of every "get one" and of the
// unpaged collections.
func parseSelect[T any](r *http.Request, et *entityType[T]) (selection[T], error) {
	q, err := parseQueryOptions(r, optSelect)
	if err != nil {
		return selection[T]{}, err
	}
	return et.selectProps(q.sel)
}

// render returns v's selected properties as a JSON object.
func (s selection[T]) render(v T) map[string]any { return s.et.render(v, s.names) }

// contextURL returns the @odata.context of path (an entity set or a
// navigation) followed by the "(a,b)" of a $select.
func (s selection[T]) contextURL(r *http.Request, path string) string {
	if s.sel == nil {
		return contextURL(r, path)
	}
	return contextURL(r, path+"("+strings.Join(s.names, ",")+")")
}

// entityBody returns v rendered as one entity of path.
func (s selection[T]) entityBody(r *http.Request, path string, v T) map[string]any {
	m := s.render(v)
	m["@odata.context"] = s.contextURL(r, path) + "/$entity"
	return m
}

// writeEntity answers 200 with v rendered as one entity of path.
func (s selection[T]) writeEntity(w http.ResponseWriter, r *http.Request, path string, v T) error {
	return writeJSON(w, http.StatusOK, s.entityBody(r, path, v))
}

// collectionBody returns vs rendered as the collection path, without
// @odata.nextLink or @odata.count.
func (s selection[T]) collectionBody(r *http.Request, path string, vs []T) map[string]any {
	value := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		value = append(value, s.render(v))
	}
	return collection(s.contextURL(r, path), value)
}

// writeCollection answers 200 with vs rendered as the collection path.
func (s selection[T]) writeCollection(w http.ResponseWriter, r *http.Request, path string, vs []T) error {
	return writeJSON(w, http.StatusOK, s.collectionBody(r, path, vs))
}

// collection is Graph's collection envelope.
func collection(context string, value []map[string]any) map[string]any {
	if value == nil {
		value = []map[string]any{}
	}
	return map[string]any{"@odata.context": context, "value": value}
}

// nullIfEmpty renders an unset string property as null, as Graph does.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
