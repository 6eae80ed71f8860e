package tracecore

import "errors"

// Errors returned by tracecore wrap one of these, so callers can test the kind
// with errors.Is and still show the full message, which names what was wrong.
var (
	// ErrTooLarge: the input's dimensions exceed the MaxPixels limit. It is
	// returned before the pixels are allocated.
	ErrTooLarge = errors.New("tracecore: image too large")
	// ErrCorrupt: the input bytes are not a well-formed image of the format they claim.
	ErrCorrupt = errors.New("tracecore: corrupt image")
	// ErrUnsupported: the input is of a format or variant tracecore does not read.
	ErrUnsupported = errors.New("tracecore: unsupported image")
	// ErrInvalidOptions: an Options field is out of range or unknown.
	ErrInvalidOptions = errors.New("tracecore: invalid options")
	// ErrInvalidInput: a programming error in the arguments, such as a negative size.
	ErrInvalidInput = errors.New("tracecore: invalid input")
)
