// Package backend holds svgtrace's server side: the svgtrace command and, as
// later work lands, the HTTP API, the WebSocket hub, the libSQL store and the
// trace workers. It imports tracecore; nothing imports it but its commands.
package backend
