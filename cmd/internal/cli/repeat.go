package cli

import (
	"flag"
	"fmt"
	"reflect"
	"strings"
)

// Repeatable is a flag.Value that takes each repetition of its flag
// ("--sku A --sku B"); ParseFlags refuses a second value for any other
// flag, so that a command never silently keeps the last one.
type Repeatable interface {
	flag.Value
	Repeatable()
}

// ListFlag is a flag that may be repeated; each value may also hold
// several items separated by commas.
type ListFlag []string

// String returns the items separated by commas.
func (l *ListFlag) String() string { return strings.Join(*l, ",") }

// Set adds the items of one value, trimmed, skipping empty ones.
func (l *ListFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

// Repeatable marks ListFlag as taking repetitions.
func (l *ListFlag) Repeatable() {}

// onceValue wraps a flag that may be given once. Flags sharing a variable
// (--output and its shorthand -o) share one record of the flag given.
type onceValue struct {
	flag.Value
	name  string
	given *string // the name the variable was set by, "" until then
	err   *string // where a refusal is reported for flagError
}

// IsBoolFlag keeps a boolean flag usable without a value.
func (o *onceValue) IsBoolFlag() bool {
	b, ok := o.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (o *onceValue) Set(v string) error {
	if *o.given != "" {
		if *o.given == o.name {
			*o.err = fmt.Sprintf("%s was given more than once; give it once", dashed(o.name))
		} else {
			*o.err = fmt.Sprintf("%s and %s set the same thing; give one of them once", dashed(*o.given), dashed(o.name))
		}
		return fmt.Errorf("%s", *o.err)
	}
	*o.given = o.name
	return o.Value.Set(v)
}

// guardRepeats makes every flag of fs that is not Repeatable refuse a
// second value; the refusal's message is left in *msg.
func guardRepeats(fs *flag.FlagSet, msg *string) {
	shared := map[any]*string{}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(Repeatable); ok {
			return
		}
		if _, ok := f.Value.(*onceValue); ok {
			return
		}
		key := any(f.Value)
		if v := reflect.ValueOf(f.Value); v.Kind() == reflect.Pointer {
			key = [2]any{v.Type(), v.Pointer()}
		}
		if shared[key] == nil {
			shared[key] = new(string)
		}
		f.Value = &onceValue{Value: f.Value, name: f.Name, given: shared[key], err: msg}
	})
}

// unwrap returns the flag's own value, without the guard.
func unwrap(v flag.Value) flag.Value {
	if o, ok := v.(*onceValue); ok {
		return o.Value
	}
	return v
}

// dashed writes a flag as people type it: --name, or -x for one letter.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
