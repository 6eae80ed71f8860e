// Package netpbm reads the parts of a netpbm header (PBM, PGM, PPM) that
// tracecore's PBM reader and imageio's netpbm decoder share: whitespace and
// comments, and header numbers. Each caller turns the errors into its own.
package netpbm

import (
	"bufio"
	"errors"
)

// MaxDigits bounds a header number: nine digits is up to 999 999 999, more
// than any side a pixel limit allows, and cannot overflow an int.
const MaxDigits = 9

var (
	// ErrNotNumber is returned when a header number has no digits.
	ErrNotNumber = errors.New("not a number")
	// ErrTooManyDigits is returned for a header number of more than
	// MaxDigits digits.
	ErrTooManyDigits = errors.New("too many digits")
)

// IsSpace reports whether c is netpbm whitespace.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// SkipSpace skips whitespace and # comments (which run to the end of the
// line) and returns the next byte. Its error is the reader's.
func SkipSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '#' {
			for c != '\n' && c != '\r' {
				if c, err = br.ReadByte(); err != nil {
					return 0, err
				}
			}
			continue
		}
		if !IsSpace(c) {
			return c, nil
		}
	}
}

// Number reads a header number after any whitespace and comments, leaving
// the byte after it unread. The number may end the input. Errors: the
// reader's before the first digit, ErrNotNumber (with next, the byte found
// instead of a digit) or ErrTooManyDigits.
func Number(br *bufio.Reader) (v int, next byte, err error) {
	c, err := SkipSpace(br)
	if err != nil {
		return 0, 0, err
	}
	digits := 0
	for c >= '0' && c <= '9' {
		if digits == MaxDigits {
			return 0, 0, ErrTooManyDigits
		}
		v = v*10 + int(c-'0')
		digits++
		if c, err = br.ReadByte(); err != nil {
			break // a number may end the input (a 0×0 image, or a truncated one)
		}
	}
	if digits == 0 {
		return 0, c, ErrNotNumber
	}
	if err == nil {
		_ = br.UnreadByte() // cannot fail right after ReadByte
	}
	return v, 0, nil
}
