package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/svgtrace/svgtrace/backend/originals"
)

// This file defines every message of the WebSocket protocol at /ws
// (docs/protocol.md). Each is a JSON object {"v": 1, "type": …, …} in one
// text frame. Field names are the JSON names below.

// Version is the protocol version every message carries as "v".
const Version = 1

// Subprotocols, offered by a client in Sec-WebSocket-Protocol at the
// upgrade (RFC 6455 §1.9). Neither is required.
const (
	// Subprotocol names this protocol's version; the hub selects it when a
	// client offers it.
	Subprotocol = "svgtrace.v1"
	// TokenSubprotocolPrefix starts the subprotocol that carries the
	// server's token from a browser, which cannot set an Authorization
	// header on a WebSocket: the prefix, then the token's UTF-8 bytes in
	// unpadded base64url (RFC 4648 §5), characters a subprotocol may hold.
	// Unlike ?token= it stays out of the URL, and so out of access logs.
	// The hub never selects it, so a client offering it offers Subprotocol
	// too (a browser fails a handshake that selects none of its offers).
	TokenSubprotocolPrefix = "svgtrace.token."
)

// Message types, client to server.
const (
	TypeHello  = "hello"
	TypePlan   = "plan"
	TypeResult = "result"
	TypeResume = "resume"
)

// Message types, server to client.
const (
	TypeWelcome      = "welcome"
	TypeAssign       = "assign"
	TypeProgress     = "progress"
	TypeTraced       = "traced"
	TypeFailed       = "failed"
	TypeImageAdded   = "image.added"
	TypeImageUpdated = "image.updated"
	TypeImageDeleted = "image.deleted"
	TypeError        = "error"
)

// Tracers an assignment names.
const (
	TracerClient = "client"
	TracerServer = "server"
)

// ErrMessage wraps every decoding failure: the message is malformed, of an
// unknown type or version, or has a field out of range. The connection
// answers it with an error message and stays open.
var ErrMessage = errors.New("hub: bad message")

// Header is what every message has.
type Header struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	// EventID is the durable event a server message announces (events.id):
	// a client resumes after the last one it saw. 0 on messages that are
	// not events (welcome, assign, error).
	EventID int64 `json:"eventId,omitempty"`
}

// Capabilities are what a client says it can do; each is optional.
type Capabilities struct {
	Wasm   bool    `json:"wasm,omitempty"`   // it can run tracecore's wasm module
	Cores  int     `json:"cores,omitempty"`  // navigator.hardwareConcurrency
	Memory float64 `json:"memory,omitempty"` // navigator.deviceMemory, GiB
}

// Hello introduces a client. ClientID is the client's own stable id (it
// survives reconnects), used in logs and to attribute results.
type Hello struct {
	Header
	ClientID     string       `json:"clientId,omitempty"`
	Capabilities Capabilities `json:"capabilities"`
}

// Plan announces an upload before it starts, so the server can reserve the
// image and say who traces it.
type Plan struct {
	Header
	// Ref is the client's name for this plan, echoed in the assign (and
	// in an error about the plan), so a client with several plans in
	// flight can match the answers.
	Ref         string          `json:"ref,omitempty"`
	ContentHash string          `json:"contentHash"` // sha256 of the file, lower-case hex
	Bytes       int64           `json:"bytes"`
	Width       int             `json:"width"`
	Height      int             `json:"height"`
	MIME        string          `json:"mime,omitempty"`
	Options     json.RawMessage `json:"options,omitempty"` // tracecore options over the placeholder preset
}

// Result is a client's trace of an image it was assigned.
type Result struct {
	Header
	ImageID      string          `json:"imageId"`
	AssignmentID string          `json:"assignmentId"`
	SVG          string          `json:"svg"`
	Stats        json.RawMessage `json:"stats,omitempty"`
}

// Resume asks for every event after LastEventID, then live ones.
type Resume struct {
	Header
	LastEventID int64 `json:"lastEventId"`
}

// Welcome answers hello: the connection's limits and the newest event id,
// from which a client without history may start.
type Welcome struct {
	Header
	LastEventID int64 `json:"lastEventId"`
	MaxMessage  int64 `json:"maxMessage"` // the read limit in bytes
}

// Assign answers a plan: the image id to upload with, and who traces.
type Assign struct {
	Header
	Ref          string          `json:"ref,omitempty"`
	ImageID      string          `json:"imageId"`
	AssignmentID string          `json:"assignmentId"`
	Tracer       string          `json:"tracer"` // TracerClient or TracerServer
	Options      json.RawMessage `json:"options"`
	// Deadline is when the server traces itself if no valid client result
	// has arrived (TracerClient only).
	Deadline *time.Time `json:"deadline,omitempty"`
	// Existing is set when the bytes and options are an image already:
	// nothing needs uploading, and Status says where it is.
	Existing bool   `json:"existing,omitempty"`
	Status   string `json:"status,omitempty"`
}

// Progress reports a stage of a server trace starting; stages are
// tracecore's names, then "stored".
type Progress struct {
	Header
	ImageID  string  `json:"imageId"`
	Stage    string  `json:"stage"`
	Fraction float64 `json:"fraction"`
}

// Traced announces an image's placeholder.
type Traced struct {
	Header
	ImageID     string `json:"imageId"`
	Placeholder string `json:"placeholder"` // URL path of placeholder.svg
	SVG         string `json:"svg"`
	// By says who traced it: TracerClient or TracerServer.
	By string `json:"by,omitempty"`
}

// Failed announces that an image could not be traced, and why.
type Failed struct {
	Header
	ImageID string `json:"imageId"`
	Error   string `json:"error"`
}

// ImageAdded announces a new image, as GET /api/images/{id} shows it.
type ImageAdded struct {
	Header
	ImageID string          `json:"imageId"`
	Image   json.RawMessage `json:"image,omitempty"`
}

// ImageUpdated announces a change of an image's title or alt text (PATCH
// /api/images/{id}), with the image as it is after the change.
type ImageUpdated struct {
	Header
	ImageID string          `json:"imageId"`
	Image   json.RawMessage `json:"image,omitempty"`
}

// ImageDeleted announces a deleted image.
type ImageDeleted struct {
	Header
	ImageID string `json:"imageId"`
}

// Error answers a message the server could not act on. Ref echoes a plan's
// ref; Code is stable (docs/protocol.md), Message for people.
type Error struct {
	Header
	Ref     string `json:"ref,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Limits of decoded fields: what a real client sends is far inside them.
const (
	maxClientIDLen = 128
	maxRefLen      = 128
	maxIDLen       = 64
	maxMIMELen     = 128
	maxOptionsLen  = 4 << 10
	maxStatsLen    = 16 << 10
)

// Decode reads one client message. Every error wraps ErrMessage and says
// what was wrong. The SVG of a result is returned as sent: sanitizing it is
// the caller's (backend/clientsvg).
func Decode(data []byte) (any, error) {
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrMessage, err)
	}
	if h.V != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMessage, h.V, Version)
	}
	var (
		msg   any
		check func() error
	)
	switch h.Type {
	case TypeHello:
		m := &Hello{}
		msg, check = m, func() error {
			if len(m.ClientID) > maxClientIDLen {
				return fmt.Errorf("clientId over %d bytes", maxClientIDLen)
			}
			if m.Capabilities.Cores < 0 || m.Capabilities.Memory < 0 {
				return errors.New("negative capabilities")
			}
			return nil
		}
	case TypePlan:
		m := &Plan{}
		msg, check = m, func() error {
			switch {
			case len(m.Ref) > maxRefLen:
				return fmt.Errorf("ref over %d bytes", maxRefLen)
			case !originals.ValidHash(m.ContentHash):
				return errors.New("contentHash must be 64 lower-case hex digits")
			case m.Bytes <= 0:
				return errors.New("bytes must be positive")
			case m.Width <= 0 || m.Height <= 0:
				return errors.New("width and height must be positive")
			case len(m.MIME) > maxMIMELen:
				return fmt.Errorf("mime over %d bytes", maxMIMELen)
			case len(m.Options) > maxOptionsLen:
				return fmt.Errorf("options over %d bytes", maxOptionsLen)
			}
			return nil
		}
	case TypeResult:
		m := &Result{}
		msg, check = m, func() error {
			switch {
			case m.ImageID == "" || len(m.ImageID) > maxIDLen:
				return errors.New("imageId missing or too long")
			case m.AssignmentID == "" || len(m.AssignmentID) > maxIDLen:
				return errors.New("assignmentId missing or too long")
			case m.SVG == "":
				return errors.New("svg missing")
			case len(m.Stats) > maxStatsLen:
				return fmt.Errorf("stats over %d bytes", maxStatsLen)
			}
			return nil
		}
	case TypeResume:
		m := &Resume{}
		msg, check = m, func() error {
			if m.LastEventID < 0 {
				return errors.New("lastEventId must not be negative")
			}
			return nil
		}
	default:
		return nil, fmt.Errorf("%w: unknown type %q", ErrMessage, h.Type)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(msg); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMessage, h.Type, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: data after the message", ErrMessage, h.Type)
	}
	if err := check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMessage, h.Type, err)
	}
	return msg, nil
}
