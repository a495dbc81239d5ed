package graph

import (
	"fmt"
	"maps"
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

// selectFragment returns the "(a,b)" that @odata.context carries after a
// $select, or "".
func selectFragment(sel []string, names []string) string {
	if sel == nil {
		return ""
	}
	return "(" + strings.Join(names, ",") + ")"
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
