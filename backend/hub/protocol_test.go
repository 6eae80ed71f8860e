package hub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hash is a valid content hash.
var hash = strings.Repeat("ab", 32)

// validMessages are one well-formed message of each client type, as a
// browser sends them, with what Decode must return.
var validMessages = []struct {
	name string
	in   string
	want any
}{
	{"HelloBare", `{"v":1,"type":"hello"}`, &Hello{Header: Header{V: 1, Type: TypeHello}}},
	{"HelloFull", `{"v":1,"type":"hello","clientId":"tab-1","capabilities":{"wasm":true,"cores":8,"memory":0.5}}`,
		&Hello{Header: Header{V: 1, Type: TypeHello}, ClientID: "tab-1", Capabilities: Capabilities{Wasm: true, Cores: 8, Memory: 0.5}}},
	{"Plan", `{"v":1,"type":"plan","ref":"p1","contentHash":"` + hash + `","bytes":1234,"width":640,"height":480,"mime":"image/png","options":{"turdsize":4}}`,
		&Plan{Header: Header{V: 1, Type: TypePlan}, Ref: "p1", ContentHash: hash, Bytes: 1234, Width: 640, Height: 480,
			MIME: "image/png", Options: json.RawMessage(`{"turdsize":4}`)}},
	{"PlanMinimal", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1,"height":1}`,
		&Plan{Header: Header{V: 1, Type: TypePlan}, ContentHash: hash, Bytes: 1, Width: 1, Height: 1}},
	{"Result", `{"v":1,"type":"result","imageId":"img1","assignmentId":"as1","svg":"<svg/>","stats":{"traceMillis":12}}`,
		&Result{Header: Header{V: 1, Type: TypeResult}, ImageID: "img1", AssignmentID: "as1", SVG: "<svg/>",
			Stats: json.RawMessage(`{"traceMillis":12}`)}},
	{"ResumeZero", `{"v":1,"type":"resume","lastEventId":0}`, &Resume{Header: Header{V: 1, Type: TypeResume}}},
	{"ResumeOmitted", `{"v":1,"type":"resume"}`, &Resume{Header: Header{V: 1, Type: TypeResume}}},
	{"Resume", `{"v":1,"type":"resume","lastEventId":9007199254740993}`,
		&Resume{Header: Header{V: 1, Type: TypeResume}, LastEventID: 9007199254740993}},
	{"Whitespace", " \n{ \"v\" : 1 , \"type\" : \"hello\" }\n\t", &Hello{Header: Header{V: 1, Type: TypeHello}}},
	{"LimitsExactly", `{"v":1,"type":"hello","clientId":"` + strings.Repeat("c", maxClientIDLen) + `"}`,
		&Hello{Header: Header{V: 1, Type: TypeHello}, ClientID: strings.Repeat("c", maxClientIDLen)}},
}

// malformedMessages are messages Decode must refuse, with a substring of
// the reason.
var malformedMessages = []struct {
	name, in, reason string
}{
	// Not a message at all.
	{"Empty", ``, "not a JSON object"},
	{"NotJSON", `hello`, "not a JSON object"},
	{"Array", `[{"v":1,"type":"hello"}]`, "not a JSON object"},
	{"String", `"hello"`, "not a JSON object"},
	{"Null", `null`, "version 0"},
	{"Truncated", `{"v":1,"type":"hello"`, "not a JSON object"},
	{"TrailingData", `{"v":1,"type":"hello"}{"v":1,"type":"hello"}`, "not a JSON object"},
	{"TrailingGarbage", `{"v":1,"type":"hello"} x`, "not a JSON object"},
	// Version.
	{"NoVersion", `{"type":"hello"}`, "version 0, want 1"},
	{"Version2", `{"v":2,"type":"hello"}`, "version 2, want 1"},
	{"VersionString", `{"v":"1","type":"hello"}`, "not a JSON object"},
	{"VersionFloat", `{"v":1.5,"type":"hello"}`, "not a JSON object"},
	// Type.
	{"NoType", `{"v":1}`, `unknown type ""`},
	{"UnknownType", `{"v":1,"type":"subscribe"}`, `unknown type "subscribe"`},
	{"ServerType", `{"v":1,"type":"assign"}`, `unknown type "assign"`},
	{"TypeCase", `{"v":1,"type":"Hello"}`, `unknown type "Hello"`},
	// Unknown and mistyped fields, per type.
	{"HelloUnknownField", `{"v":1,"type":"hello","admin":true}`, `unknown field "admin"`},
	{"HelloUnknownCapability", `{"v":1,"type":"hello","capabilities":{"gpu":true}}`, `unknown field "gpu"`},
	{"PlanUnknownField", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1,"height":1,"id":"x"}`, `unknown field "id"`},
	{"ResultUnknownField", `{"v":1,"type":"result","imageId":"i","assignmentId":"a","svg":"s","tracer":"client"}`, `unknown field "tracer"`},
	{"ResumeUnknownField", `{"v":1,"type":"resume","since":3}`, `unknown field "since"`},
	{"PlanBytesString", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":"1","width":1,"height":1}`, "plan:"},
	{"ResumeFloat", `{"v":1,"type":"resume","lastEventId":1.5}`, "resume:"},
	// Hello.
	{"HelloClientIDTooLong", `{"v":1,"type":"hello","clientId":"` + strings.Repeat("c", maxClientIDLen+1) + `"}`, "clientId over"},
	{"HelloNegativeCores", `{"v":1,"type":"hello","capabilities":{"cores":-1}}`, "negative capabilities"},
	{"HelloNegativeMemory", `{"v":1,"type":"hello","capabilities":{"memory":-0.5}}`, "negative capabilities"},
	// Plan.
	{"PlanNoHash", `{"v":1,"type":"plan","bytes":1,"width":1,"height":1}`, "contentHash must be 64"},
	{"PlanShortHash", `{"v":1,"type":"plan","contentHash":"abc","bytes":1,"width":1,"height":1}`, "contentHash must be 64"},
	{"PlanUpperHash", `{"v":1,"type":"plan","contentHash":"` + strings.ToUpper(hash) + `","bytes":1,"width":1,"height":1}`, "contentHash must be 64"},
	{"PlanNonHexHash", `{"v":1,"type":"plan","contentHash":"` + strings.Repeat("zz", 32) + `","bytes":1,"width":1,"height":1}`, "contentHash must be 64"},
	{"PlanZeroBytes", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":0,"width":1,"height":1}`, "bytes must be positive"},
	{"PlanNegativeBytes", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":-5,"width":1,"height":1}`, "bytes must be positive"},
	{"PlanNegativeWidth", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":-1,"height":1}`, "width and height must be positive"},
	{"PlanZeroHeight", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1,"height":0}`, "width and height must be positive"},
	{"PlanHugeWidth", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1e30,"height":1}`, "plan:"},
	{"PlanRefTooLong", `{"v":1,"type":"plan","ref":"` + strings.Repeat("r", maxRefLen+1) + `","contentHash":"` + hash + `","bytes":1,"width":1,"height":1}`, "ref over"},
	{"PlanMIMETooLong", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1,"height":1,"mime":"` + strings.Repeat("m", maxMIMELen+1) + `"}`, "mime over"},
	{"PlanOptionsTooLong", `{"v":1,"type":"plan","contentHash":"` + hash + `","bytes":1,"width":1,"height":1,"options":{"x":"` + strings.Repeat("o", maxOptionsLen) + `"}}`, "options over"},
	// Result.
	{"ResultNoImage", `{"v":1,"type":"result","assignmentId":"a","svg":"s"}`, "imageId missing"},
	{"ResultImageTooLong", `{"v":1,"type":"result","imageId":"` + strings.Repeat("i", maxIDLen+1) + `","assignmentId":"a","svg":"s"}`, "imageId missing or too long"},
	{"ResultNoAssignment", `{"v":1,"type":"result","imageId":"i","svg":"s"}`, "assignmentId missing"},
	{"ResultAssignmentTooLong", `{"v":1,"type":"result","imageId":"i","assignmentId":"` + strings.Repeat("a", maxIDLen+1) + `","svg":"s"}`, "assignmentId missing or too long"},
	{"ResultNoSVG", `{"v":1,"type":"result","imageId":"i","assignmentId":"a"}`, "svg missing"},
	{"ResultStatsTooLong", `{"v":1,"type":"result","imageId":"i","assignmentId":"a","svg":"s","stats":"` + strings.Repeat("s", maxStatsLen) + `"}`, "stats over"},
	// Resume.
	{"ResumeNegative", `{"v":1,"type":"resume","lastEventId":-1}`, "lastEventId must not be negative"},
}

func TestDecode(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		for _, tc := range validMessages {
			t.Run(tc.name, func(t *testing.T) {
				got, err := Decode([]byte(tc.in))
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			})
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		for _, tc := range malformedMessages {
			t.Run(tc.name, func(t *testing.T) {
				got, err := Decode([]byte(tc.in))
				require.Error(t, err)
				assert.Nil(t, got)
				assert.ErrorIs(t, err, ErrMessage)
				assert.Contains(t, err.Error(), tc.reason)
				assert.True(t, strings.HasPrefix(err.Error(), "hub: bad message: "), "%v", err)
			})
		}
	})
	// The header's eventId is a server field; a client's is accepted and
	// ignored by the hub, not refused: it is not an unknown field.
	t.Run("ClientEventID", func(t *testing.T) {
		got, err := Decode([]byte(`{"v":1,"type":"resume","eventId":7,"lastEventId":3}`))
		require.NoError(t, err)
		assert.Equal(t, &Resume{Header: Header{V: 1, Type: TypeResume, EventID: 7}, LastEventID: 3}, got)
	})
	// Server messages marshal with the header first and their type.
	t.Run("ServerMessagesMarshal", func(t *testing.T) {
		b, err := json.Marshal(Error{Header: Header{V: Version, Type: TypeError}, Code: "bad_message", Message: "m"})
		require.NoError(t, err)
		assert.JSONEq(t, `{"v":1,"type":"error","code":"bad_message","message":"m"}`, string(b))
		b, err = json.Marshal(Traced{Header: Header{V: Version, Type: TypeTraced, EventID: 12}, ImageID: "i", Placeholder: "/p", SVG: "<svg/>", By: TracerClient})
		require.NoError(t, err)
		assert.JSONEq(t, `{"v":1,"type":"traced","eventId":12,"imageId":"i","placeholder":"/p","svg":"<svg/>","by":"client"}`, string(b))
	})
	// Every error is ErrMessage, never a bare encoding/json error.
	t.Run("ErrorsWrap", func(t *testing.T) {
		for _, in := range []string{`{`, `{"v":1,"type":"plan","bytes":{}}`, `{"v":1,"type":"hello","capabilities":[]}`} {
			_, err := Decode([]byte(in))
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrMessage), "%q: %v", in, err)
		}
	})
}
