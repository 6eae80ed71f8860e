package hranapeer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The Hrana messages this peer reads and writes, each defined once. Field
// names and shapes follow the Hrana 2 specification as libsql-client-go
// encodes and decodes them.

// pipelineRequest is the body of POST /v2/pipeline.
type pipelineRequest struct {
	Baton    *string         `json:"baton"`
	Requests []streamRequest `json:"requests"`
}

// pipelineResponse is the answer to a pipelineRequest: one result per
// request, in order, and the baton naming the stream (null once closed).
type pipelineResponse struct {
	Baton   *string        `json:"baton"`
	BaseURL *string        `json:"base_url"`
	Results []streamResult `json:"results"`
}

// streamRequest is one request of a pipeline; Type selects which other
// fields matter.
type streamRequest struct {
	Type  string  `json:"type"`
	Stmt  *stmt   `json:"stmt,omitempty"`
	Batch *batch  `json:"batch,omitempty"`
	SQL   *string `json:"sql,omitempty"`    // sequence, store_sql
	SQLID *int32  `json:"sql_id,omitempty"` // sequence, store_sql, close_sql
}

// streamResult is {"type":"ok","response":...} or {"type":"error","error":...}.
type streamResult struct {
	Type     string          `json:"type"`
	Response *streamResponse `json:"response,omitempty"`
	Error    *wireError      `json:"error,omitempty"`
}

// streamResponse carries the request type again and, for execute and batch,
// its result.
type streamResponse struct {
	Type   string `json:"type"`
	Result any    `json:"result,omitempty"`
}

// stmt is one SQL statement with its arguments.
type stmt struct {
	SQL       *string    `json:"sql,omitempty"`
	SQLID     *int32     `json:"sql_id,omitempty"`
	Args      []value    `json:"args,omitempty"`
	NamedArgs []namedArg `json:"named_args,omitempty"`
	// WantRows defaults to true when absent, as the specification says.
	WantRows *bool `json:"want_rows,omitempty"`
}

type namedArg struct {
	Name  string `json:"name"`
	Value value  `json:"value"`
}

// stmtResult is the result of one statement.
type stmtResult struct {
	Cols             []col     `json:"cols"`
	Rows             [][]value `json:"rows"`
	AffectedRowCount int64     `json:"affected_row_count"`
	LastInsertRowID  *string   `json:"last_insert_rowid"`
}

type col struct {
	Name     *string `json:"name"`
	Decltype *string `json:"decltype"`
}

type batch struct {
	Steps []batchStep `json:"steps"`
}

type batchStep struct {
	Condition *batchCond `json:"condition,omitempty"`
	Stmt      stmt       `json:"stmt"`
}

// batchCond decides whether a batch step runs, from the outcome of earlier
// steps.
type batchCond struct {
	Type  string      `json:"type"` // ok, error, not, and, or, is_autocommit
	Step  *int        `json:"step,omitempty"`
	Cond  *batchCond  `json:"cond,omitempty"`
	Conds []batchCond `json:"conds,omitempty"`
}

// batchResult has one entry per step in each slice: a result if it ran and
// succeeded, an error if it ran and failed, null in both if it was skipped.
type batchResult struct {
	StepResults []*stmtResult `json:"step_results"`
	StepErrors  []*wireError  `json:"step_errors"`
}

// wireError is a Hrana error object. HTTP-level errors carry the message a
// second time as "error": libsql-client-go decodes a non-200 body as
// {"error"} first and would otherwise report an empty message.
type wireError struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// httpError is the body of a non-200 response.
type httpError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// timeLayout is how libsql-client-go writes a time.Time argument, and so how
// the peer writes the time.Time values modernc.org/sqlite makes of TEXT in
// DATE, DATETIME and TIMESTAMP columns; the client parses it back.
const timeLayout = "2006-01-02 15:04:05.999999999-07:00"

// value is a Hrana value holding one of nil, int64, float64, string or
// []byte (and, only when sent, time.Time).
type value struct{ v any }

// wireValue is the JSON shape of a value.
type wireValue struct {
	Type   string          `json:"type"`
	Value  json.RawMessage `json:"value,omitempty"`
	Base64 *string         `json:"base64,omitempty"`
}

func (v value) MarshalJSON() ([]byte, error) {
	var w struct {
		Type   string  `json:"type"`
		Value  any     `json:"value,omitempty"`
		Base64 *string `json:"base64,omitempty"`
	}
	switch x := v.v.(type) {
	case nil:
		w.Type = "null"
	case int64:
		// Integers travel as strings: JSON numbers lose precision above 2^53.
		w.Type, w.Value = "integer", strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("hranapeer: float %v has no JSON form", x)
		}
		w.Type, w.Value = "float", x
	case string:
		w.Type, w.Value = "text", x
	case []byte:
		s := base64.RawStdEncoding.EncodeToString(x)
		w.Type, w.Base64 = "blob", &s
	case time.Time:
		w.Type, w.Value = "text", x.Format(timeLayout)
	default:
		return nil, fmt.Errorf("hranapeer: value of type %T has no Hrana form", x)
	}
	return json.Marshal(w)
}

func (v *value) UnmarshalJSON(data []byte) error {
	var w wireValue
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("hranapeer: value: %w", err)
	}
	switch w.Type {
	case "null":
		v.v = nil
	case "integer":
		// A string per the specification; a bare number is taken too.
		raw := string(w.Value)
		if strings.HasPrefix(raw, `"`) {
			if err := json.Unmarshal(w.Value, &raw); err != nil {
				return fmt.Errorf("hranapeer: integer value: %w", err)
			}
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("hranapeer: integer value %q: %w", raw, err)
		}
		v.v = n
	case "float":
		var f float64
		if err := json.Unmarshal(w.Value, &f); err != nil {
			return fmt.Errorf("hranapeer: float value: %w", err)
		}
		v.v = f
	case "text":
		var s string
		if err := json.Unmarshal(w.Value, &s); err != nil {
			return fmt.Errorf("hranapeer: text value: %w", err)
		}
		v.v = s
	case "blob":
		if w.Base64 == nil {
			return errors.New("hranapeer: blob value without base64")
		}
		// Unpadded per the specification; padding is tolerated.
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(*w.Base64, "="))
		if err != nil {
			return fmt.Errorf("hranapeer: blob value: %w", err)
		}
		v.v = b
	default:
		return fmt.Errorf("hranapeer: unknown value type %q", w.Type)
	}
	return nil
}
