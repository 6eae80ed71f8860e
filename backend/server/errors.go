package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/svgtrace/svgtrace/backend/originals"
	"github.com/svgtrace/svgtrace/tracecore"
)

// Error codes, the stable part of an error response (messages may change).
const (
	CodeBadRequest    = "bad_request"
	CodeNotFound      = "not_found"
	CodeNotTraced     = "not_traced"
	CodeTooLarge      = "too_large"
	CodeNotAnImage    = "not_an_image"
	CodeTooManyPix    = "too_many_pixels"
	CodeCorruptImage  = "corrupt_image"
	CodeBadOptions    = "invalid_options"
	CodeUnauthorized  = "unauthorized"
	CodeInternal      = "internal"
	CodeUnavailable   = "unavailable"
	CodeNoReservation = "no_reservation"
)

// apiError is an error with the HTTP status and code it answers with.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// classify maps an upload's failure to its answer: what tracecore and
// originals say about the bytes decides between 413, 415 and 422.
func classify(name string, err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, originals.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "%s: %v", name, err)
	case errors.Is(err, tracecore.ErrUnsupported):
		return errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, "%s: not an image svgtrace reads: %v", name, err)
	case errors.Is(err, tracecore.ErrTooLarge):
		return errorf(http.StatusUnprocessableEntity, CodeTooManyPix, "%s: %v", name, err)
	case errors.Is(err, tracecore.ErrCorrupt):
		return errorf(http.StatusUnprocessableEntity, CodeCorruptImage, "%s: %v", name, err)
	case errors.Is(err, tracecore.ErrInvalidOptions):
		return errorf(http.StatusBadRequest, CodeBadOptions, "%v", err)
	}
	return nil
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // the client may be gone; nothing to do about it
}

// writeError answers with err as {"error", "code"}; an error that is not an
// *apiError is a 500 whose details go to the log, not the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusInternalServerError, CodeInternal, "internal error")
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.msg, "code": ae.code})
}
