// Package originals keeps uploaded images on disk, content-addressed: an
// original's name is the sha256 of its bytes, so the same bytes are stored
// once however many images (one per set of trace options) refer to them.
//
// # Guarantees
//
// Nothing half-written. Stage copies an upload into a temporary file in the
// same directory tree, computing its hash on the way, and fsyncs it; Commit
// renames it to its final name and fsyncs the directory. A reader sees
// either no file or the whole file, never a partial one, and a crash leaves
// at most a stale temporary file, which Open removes at start.
//
// Bounded. Stage stops reading at its limit and returns ErrTooLarge; the
// temporary file is removed.
//
// Safe names. Only 64 lower-case hex digits name an original; any other name
// is ErrBadHash before the file system is touched, so no request can reach a
// path outside the directory.
package originals
