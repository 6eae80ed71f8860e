package imageio

import (
	"fmt"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/internal/netpbm"
)

// A Format is an image file format imageio reads, named as in a MIME type
// (image/<format>) or a file extension.
type Format string

// The formats imageio reads. PBM, PGM and PPM are netpbm's bitmap, greymap
// and pixmap, each plain (text: P1, P2, P3) or raw (binary: P4, P5, P6).
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
	BMP  Format = "bmp"
	PBM  Format = "pbm"
	PGM  Format = "pgm"
	PPM  Format = "ppm"
)

// SniffLen is how many leading bytes Sniff needs to recognise every format:
// a WebP file is "RIFF", four length bytes, then "WEBP".
const SniffLen = 12

// A signature is the leading bytes that identify a format; '?' in magic
// matches any byte.
type signature struct {
	magic  string
	format Format
}

var signatures = []signature{
	{"\xff\xd8\xff", JPEG},
	{"\x89PNG\r\n\x1a\n", PNG},
	{"GIF87a", GIF},
	{"GIF89a", GIF},
	{"RIFF????WEBP", WebP},
	{"BM", BMP},
	// Netpbm: "P" and the kind digit, then whitespace (checked in Sniff).
	{"P1", PBM}, {"P4", PBM},
	{"P2", PGM}, {"P5", PGM},
	{"P3", PPM}, {"P6", PPM},
}

// unsupported names formats that uploads often are but no decoder here
// reads, so the error can say what the file is.
var unsupported = []struct {
	magic string
	name  string
}{
	{"II*\x00", "tiff"},
	{"MM\x00*", "tiff"},
	{"????ftypheic", "heif"},
	{"????ftypheix", "heif"},
	{"????ftyphevc", "heif"},
	{"????ftypmif1", "heif"},
	{"????ftypmsf1", "heif"},
	{"????ftypavif", "avif"},
	{"????ftypavis", "avif"},
	{"\xff\x0a", "jpeg xl"},
	{"\x00\x00\x00\x0cJXL \r\n\x87\n", "jpeg xl"},
	{"P7", "pam"},
	{"%PDF", "pdf"},
	{"<svg", "svg"},
	{"<?xml", "xml (svg?)"},
	{"\x00\x00\x01\x00", "ico"},
}

func match(head []byte, magic string) bool {
	if len(head) < len(magic) {
		return false
	}
	for i := 0; i < len(magic); i++ {
		if magic[i] != '?' && magic[i] != head[i] {
			return false
		}
	}
	return true
}

// isPrefix reports whether head, shorter than magic, could be its start.
func isPrefix(head []byte, magic string) bool {
	return len(head) < len(magic) && match(head, magic[:len(head)])
}

// Sniff returns the format of an image from its first bytes, never from a
// file name. head should hold the first SniffLen bytes of the input, or all
// of it when it is shorter.
//
// An empty head gives an error wrapping tracecore.ErrCorrupt ("empty
// input"), as does a head too short to hold the signature it starts. Any
// other unknown start gives an error wrapping tracecore.ErrUnsupported that
// shows the bytes seen, and names the format for a few common ones no
// decoder here reads (TIFF, HEIF, AVIF, JPEG XL, PAM, PDF, SVG, ICO).
func Sniff(head []byte) (Format, error) {
	if len(head) == 0 {
		return "", &decodeError{kind: tracecore.ErrCorrupt, msg: "empty input"}
	}
	for _, s := range signatures {
		if !match(head, s.magic) {
			continue
		}
		if s.magic[0] == 'P' { // netpbm: the magic number ends at whitespace
			if len(head) == len(s.magic) {
				return s.format, &decodeError{kind: tracecore.ErrCorrupt, format: s.format,
					msg: fmt.Sprintf("truncated: the input is %q", head)}
			}
			if !netpbm.IsSpace(head[len(s.magic)]) {
				break
			}
		}
		return s.format, nil
	}
	show := head[:min(len(head), 8)]
	for _, u := range unsupported {
		if match(head, u.magic) {
			return "", &decodeError{kind: tracecore.ErrUnsupported,
				msg: fmt.Sprintf("unsupported format: %s (bytes start %q)", u.name, show)}
		}
	}
	if len(head) < SniffLen {
		for _, s := range signatures {
			if isPrefix(head, s.magic) {
				return "", &decodeError{kind: tracecore.ErrCorrupt,
					msg: fmt.Sprintf("truncated: the input is %q, the start of a %s signature", head, s.format)}
			}
		}
	}
	return "", &decodeError{kind: tracecore.ErrUnsupported,
		msg: fmt.Sprintf("unsupported format: bytes start %q", show)}
}
