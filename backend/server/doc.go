// Package server is svgtrace's HTTP API: uploads, images and their
// placeholders, health, metrics, the job dashboard and the originals
// endpoint remote workers fetch from (docs/api.md is the reference).
//
// # Guarantees
//
// Uploads never wait for a trace. POST /api/images stores the originals and
// commits each image row with its trace job in one transaction, then answers
// 202; workers (backend/queue) trace later.
//
// All or nothing. Every file of an upload is staged and checked (size, then
// the sniffed format, then the header's dimensions, before any pixel is
// decoded) before anything is stored. One rejected file rejects the request,
// and a rejected request leaves no row, no original and no job behind.
//
// Idempotent. The same bytes with the same options are one image: uploading
// them again, or twenty clients at once, returns the existing record and
// queues no second job (store.InsertImage decides under SQLite's lock).
//
// Originals are removed with their last image. An original is moved into
// place and its images inserted inside one write transaction, and a delete
// removes the file inside the transaction that found no image left using it,
// so a delete racing an upload of the same bytes never removes a file a
// committed image needs.
//
// Errors are JSON {"error": message, "code": code} with the status that says
// what was wrong: 400 malformed request, 404 unknown image, 413 over the size
// limit, 415 not an image, 422 an image that cannot be traced (dimensions
// over the pixel limit, a corrupt header).
package server
