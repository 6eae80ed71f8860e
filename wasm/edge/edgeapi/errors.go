package edgeapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Error codes, the stable part of an error answer. The shared ones are the
// backend API's (backend/server's Code constants), spelt the same, so a
// client handles both endpoints' errors alike; this package cannot import
// backend, and TestErrors pins each code as a literal.
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeNotAcceptable    = "not_acceptable"
	CodeTooLarge         = "too_large"
	CodeNotAnImage       = "not_an_image"
	CodeTooManyPix       = "too_many_pixels"
	CodeCorruptImage     = "corrupt_image"
	CodeBadOptions       = "invalid_options"
	CodeInternal         = "internal"
)

// An Error is a failed request's answer: its HTTP status, its code and a
// message for people.
type Error struct {
	Status int
	Code   string
	Msg    string
}

func (e *Error) Error() string { return "edgeapi: " + e.Msg }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// classify maps what tracecore and imageio say about the bytes or the
// options to the answer, as the backend API does for an upload: 415 for
// what is not an image svgtrace reads, 422 for an image too large in
// pixels or damaged, 400 for options. Anything else is a 500.
func classify(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, tracecore.ErrUnsupported):
		return errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, "not an image svgtrace reads: %v", err)
	case errors.Is(err, tracecore.ErrTooLarge):
		return errorf(http.StatusUnprocessableEntity, CodeTooManyPix, "%v", err)
	case errors.Is(err, tracecore.ErrCorrupt):
		return errorf(http.StatusUnprocessableEntity, CodeCorruptImage, "%v", err)
	case errors.Is(err, tracecore.ErrInvalidOptions):
		return errorf(http.StatusBadRequest, CodeBadOptions, "%v", err)
	}
	return err
}

// writeError answers with err as {"error", "code"}. An error that is not
// an *Error is a 500 whose message stays out of the answer: it may name
// internals.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, CodeInternal, "internal error")
	}
	b, _ := marshal(map[string]string{"error": e.Msg, "code": e.Code}) // strings always marshal
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	w.WriteHeader(e.Status)
	w.Write(b) // the caller may be gone; nothing to do about it
}
