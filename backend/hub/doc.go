// Package hub is the WebSocket hub at /ws: it decides per upload whether the
// browser or the backend traces (Decide), pushes the durable events (new
// images, progress, placeholders, deletions) to every connected client, lets
// a reconnecting client resume after the last event it saw, and accepts
// traces made in browsers. protocol.go defines every message
// (docs/protocol.md).
package hub
