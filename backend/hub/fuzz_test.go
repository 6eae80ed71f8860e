package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics; every error wraps ErrMessage and comes
// with no message; a decoded message marshals (as the hub marshals, without
// HTML escaping) to JSON that decodes to the same value and marshals to the
// same bytes again. Seeds are the valid and malformed messages of
// TestDecode, every type of each. The input is capped at 64 KiB, far over
// every field's limit, so each run stays cheap.
func FuzzDecode(f *testing.F) {
	for _, tc := range validMessages {
		f.Add([]byte(tc.in))
	}
	for _, tc := range malformedMessages {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 64<<10 {
			return
		}
		msg, err := Decode(in)
		if err != nil {
			if msg != nil {
				t.Fatalf("a message with error %v", err)
			}
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error does not wrap ErrMessage: %v", err)
			}
			return
		}
		switch msg.(type) {
		case *Hello, *Plan, *Result, *Resume:
		default:
			t.Fatalf("Decode returned a %T", msg)
		}
		b1 := marshal(t, msg)
		again, err := Decode(b1)
		if err != nil {
			t.Fatalf("re-marshalled message refused: %v\n%s", err, b1)
		}
		if want := compacted(t, msg); !reflect.DeepEqual(want, again) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", want, again)
		}
		if b2 := marshal(t, again); !bytes.Equal(b1, b2) {
			t.Fatalf("marshal not stable:\n%s\n%s", b1, b2)
		}
	})
}

// marshal encodes v as JSON without HTML escaping, which would grow a
// field's raw JSON (options, stats) past its limit.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// compacted returns a copy of msg with its raw JSON fields compacted, as
// marshalling leaves them.
func compacted(t *testing.T, msg any) any {
	t.Helper()
	compact := func(r json.RawMessage) json.RawMessage {
		if r == nil {
			return nil
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err != nil {
			t.Fatalf("raw field is not JSON: %v", err)
		}
		return buf.Bytes()
	}
	switch m := msg.(type) {
	case *Plan:
		c := *m
		c.Options = compact(m.Options)
		return &c
	case *Result:
		c := *m
		c.Stats = compact(m.Stats)
		return &c
	}
	return msg
}
