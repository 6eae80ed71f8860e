package imageio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/tracecore/imageio/internal/jpegscaled"
)

// Config is what an image's header says, for the image as displayed.
type Config struct {
	Format Format
	// Width and Height are the size as displayed: after the EXIF
	// orientation, so the stored size swapped for orientations 5–8.
	Width, Height int
	// Orientation is a JPEG's EXIF orientation, 1–8: 1 when there is none,
	// when it is malformed and for every other format. Decode applies it.
	Orientation int
}

// maxHeaderBytes bounds what DecodeConfig may read, and so the buffer in
// which Decode keeps the header to read it again. Everything before the
// pixels counts: JPEG allows any number of APPn segments before its frame
// header (ICC profiles split into 64 KiB pieces, Photoshop resources, XMP),
// and real files carry up to a few MiB of them; 16 MiB is far above that and
// keeps a stream of nothing but metadata from growing the buffer without
// end (TestHostile/EndlessMetadata pins it).
const maxHeaderBytes = 16 << 20

// headLen is how many bytes DecodeConfig looks at before handing the input to
// a decoder: SniffLen, and a WebP's VP8X flags at byte 20.
const headLen = 32

// DecodeConfig returns the format and displayed size of the image r holds,
// reading no more than its header (for a JPEG, the segments before the
// first scan, to find the EXIF orientation; at most maxHeaderBytes in all).
// Errors are those of Decode, except that DecodeConfig checks no size.
func DecodeConfig(r io.Reader) (Config, error) {
	return readConfig(&rewindReader{r: r, recording: true})
}

// Decode decodes the image r holds and returns it upright, with its Config.
//
// It sniffs the format, reads the header and checks the displayed size with
// tracecore.CheckSize against maxPixels (tracecore.DefaultMaxPixels when
// maxPixels ≤ 0) before any pixel is decoded; only then does it decode, and
// rotate or mirror a JPEG by its EXIF orientation. The image's bounds are
// image.Rect(0, 0, cfg.Width, cfg.Height).
//
// Errors wrap tracecore.ErrCorrupt, ErrUnsupported or ErrTooLarge and name
// the format (see the package documentation). On error the image is nil and
// the Config holds what was read before the failure, if anything.
func Decode(r io.Reader, maxPixels int64) (image.Image, Config, error) {
	rr, cfg, err := readChecked(r, maxPixels)
	if err != nil {
		return nil, cfg, err
	}
	return decodeReplayed(rr, cfg, maxPixels)
}

// readChecked reads the header of the image r holds and checks its size
// against maxPixels, and returns a reader that starts again at the
// beginning of the input.
func readChecked(r io.Reader, maxPixels int64) (*rewindReader, Config, error) {
	rr := &rewindReader{r: r, recording: true}
	cfg, err := readConfig(rr)
	if err != nil {
		return nil, cfg, err
	}
	if err := tracecore.CheckSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, cfg, fmt.Errorf("imageio: %s: %w", cfg.Format, err)
	}
	rr.replay()
	return rr, cfg, nil
}

// decodeReplayed decodes the image whose header readChecked read into cfg,
// reading from rr, which starts again at the beginning of the input.
func decodeReplayed(rr *rewindReader, cfg Config, maxPixels int64) (image.Image, Config, error) {
	var img image.Image
	err := safely(cfg.Format, func() error {
		var err error
		switch cfg.Format {
		case JPEG:
			img, err = jpeg.Decode(rr)
		case PNG:
			img, err = png.Decode(rr)
		case GIF:
			img, err = decodeGIF(rr, cfg.Width, cfg.Height)
		case WebP:
			img, err = decodeWebP(rr)
		case BMP:
			img, err = bmp.Decode(rr)
		case PBM:
			img, err = decodePBM(rr, maxPixels)
		case PGM, PPM:
			img, err = decodePNM(rr, maxPixels)
		}
		if err == nil && cfg.Orientation != 1 {
			img = orient(img, cfg.Orientation)
		}
		return err
	})
	if err != nil {
		return nil, cfg, rr.wrap(cfg.Format, err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, cfg.Width, cfg.Height) {
		return nil, cfg, &decodeError{kind: tracecore.ErrCorrupt, format: cfg.Format,
			msg: fmt.Sprintf("decoded image has bounds %v, the header says %d×%d", b, cfg.Width, cfg.Height)}
	}
	return img, cfg, nil
}

// DecodeReduced decodes the image r holds for a trace of at most maxSide
// pixels on its longer side (tracecore.Options.MaxSide; 0 is full size).
//
// Where the format can be decoded at reduced scale and the reduced image is
// still at least the traced size, it decodes that smaller image and returns
// it, upright, as a *tracecore.Reduced whose Width and Height are cfg's: a
// JPEG (Huffman-coded, 8-bit, grey or YCbCr; baseline or progressive) is
// decoded at the smallest scale n/8, n = 1, 2 or 4, at which its longer
// side L still covers maxSide, L·n/8 ≥ maxSide (see jpegScale): at 1/8
// each pixel is the mean of the 8×8 block it stands for, from the blocks'
// DC coefficients alone, and a progressive JPEG's AC scans are skipped
// unread; at 1/4 and 1/2 each pixel is the reduced inverse DCT of the
// block's low-frequency coefficients at the centre of the 4×4 or 2×2
// pixels it stands for. A JPEG with L < 2·maxSide, and everything else, is
// decoded as Decode does, and returned as Decode returns it.
//
// The checks, errors and orientation are Decode's. A JPEG decoded at reduced
// scale is read whole into memory first (at most its pixel count ×
// maxJPEGBytesPerPixel bytes beyond the header, else ErrTooLarge), where
// Decode streams it.
func DecodeReduced(r io.Reader, maxPixels int64, maxSide int) (image.Image, Config, error) {
	rr, cfg, err := readChecked(r, maxPixels)
	if err != nil {
		return nil, cfg, err
	}
	scale := jpegScale(max(cfg.Width, cfg.Height), maxSide)
	if cfg.Format != JPEG || scale == 0 {
		return decodeReplayed(rr, cfg, maxPixels)
	}
	limit := int64(cfg.Width)*int64(cfg.Height)*maxJPEGBytesPerPixel + maxHeaderBytes
	data, err := rr.readAll(limit + 1)
	if err != nil {
		return nil, cfg, rr.wrap(cfg.Format, err)
	}
	if int64(len(data)) > limit {
		return nil, cfg, &decodeError{kind: tracecore.ErrTooLarge, format: cfg.Format,
			msg: fmt.Sprintf("more than %d bytes of data for %d×%d pixels", limit, cfg.Width, cfg.Height)}
	}
	if !jpegscaled.Supported(data) {
		return decodeReplayed(&rewindReader{r: bytes.NewReader(data)}, cfg, maxPixels)
	}
	var img image.Image
	err = safely(cfg.Format, func() error {
		var err error
		if img, err = jpegscaled.DecodeScaled(data, scale); err == nil && cfg.Orientation != 1 {
			img = orient(img, cfg.Orientation)
		}
		return err
	})
	if err != nil {
		kind := tracecore.ErrCorrupt
		if errors.Is(err, jpegscaled.ErrUnsupported) {
			kind = tracecore.ErrUnsupported
		}
		var de *decodeError
		if errors.As(err, &de) { // a recovered panic
			return nil, cfg, err
		}
		return nil, cfg, &decodeError{kind: kind, format: cfg.Format, msg: strings.TrimPrefix(err.Error(), "jpegscaled: "), err: err}
	}
	want := image.Rect(0, 0, (cfg.Width*scale+7)/8, (cfg.Height*scale+7)/8)
	if b := img.Bounds(); b != want {
		return nil, cfg, &decodeError{kind: tracecore.ErrCorrupt, format: cfg.Format,
			msg: fmt.Sprintf("reduced image has bounds %v, the header says %d×%d", b, cfg.Width, cfg.Height)}
	}
	return &tracecore.Reduced{Image: img, Width: cfg.Width, Height: cfg.Height}, cfg, nil
}

// jpegScale returns n for the scale n/8 at which DecodeReduced decodes a
// JPEG whose longer side is long for a trace of maxSide pixels: the
// smallest of 1, 2 and 4 with long·n/8 ≥ maxSide, so that the reduced
// image, area-averaged down to maxSide, is never enlarged (its partial
// edge block, which ⌈long·n/8⌉ counts, is not relied on); 0, full size,
// when even 1/2 would be smaller or maxSide is 0. 3264 pixels for 400 is
// 1/8 (408), 1365 is 1/2 (683, as 1/4 would be 341), 799 is full size.
func jpegScale(long, maxSide int) int {
	if maxSide <= 0 {
		return 0
	}
	for _, n := range []int{1, 2, 4} {
		if int64(long)*int64(n) >= 8*int64(maxSide) {
			return n
		}
	}
	return 0
}

// maxJPEGBytesPerPixel bounds the entropy-coded data DecodeReduced reads
// for a JPEG's pixel count. Real photos take under 1 byte a pixel and
// quality 100 at 4:4:4 about 3 on noise; 8 leaves room for any real file
// while a stream of endless data still ends.
const maxJPEGBytesPerPixel = 8

func readConfig(rr *rewindReader) (Config, error) {
	var buf [headLen]byte
	n, err := io.ReadFull(rr, buf[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Config{}, rr.wrap("", err)
	}
	head := buf[:n]
	f, err := Sniff(head[:min(n, SniffLen)])
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Format: f, Orientation: 1}
	rr.rewind()
	var ic image.Config
	err = safely(f, func() error {
		var err error
		switch f {
		case JPEG:
			if ic, err = jpeg.DecodeConfig(rr); err == nil {
				rr.rewind()
				cfg.Orientation = jpegOrientation(rr)
			}
		case PNG:
			ic, err = png.DecodeConfig(rr)
		case GIF:
			ic, err = gif.DecodeConfig(rr)
		case WebP:
			if err = checkWebP(head); err == nil {
				ic, err = webp.DecodeConfig(rr)
			}
		case BMP:
			ic, err = bmp.DecodeConfig(rr)
		case PBM, PGM, PPM:
			var h pnmHeader
			h, err = readPNMHeader(bufio.NewReader(rr))
			ic.Width, ic.Height = h.width, h.height
		}
		return err
	})
	if err != nil {
		return cfg, rr.wrap(f, err)
	}
	cfg.Width, cfg.Height = ic.Width, ic.Height
	if cfg.Orientation >= 5 {
		cfg.Width, cfg.Height = cfg.Height, cfg.Width
	}
	return cfg, nil
}

// A decodeError is an error of imageio's own or a decoder's error with its
// kind: its message names the format and what failed, and errors.Is finds
// both the kind and the decoder's error.
type decodeError struct {
	kind   error  // tracecore.ErrCorrupt, ErrUnsupported or ErrTooLarge
	format Format // empty while the format is not known
	msg    string
	err    error // the decoder's error, or nil
}

func (e *decodeError) Error() string {
	if e.format == "" {
		return "imageio: " + e.msg
	}
	return "imageio: " + string(e.format) + ": " + e.msg
}

func (e *decodeError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

// errPanic is the decoder's error of a decodeError made from a recovered
// panic, so tests can tell one from a decoder's ordinary error.
var errPanic = errors.New("decoder panicked")

// safely runs a decoder, turning a panic into an error wrapping
// tracecore.ErrCorrupt: decoders check their input, and this is defence in
// depth against one that does not.
func safely(f Format, decode func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &decodeError{kind: tracecore.ErrCorrupt, format: f,
				msg: fmt.Sprintf("%v: %v", errPanic, p), err: errPanic}
		}
	}()
	return decode()
}

// classify gives a decoder's error its kind: ErrUnsupported for what the
// decoders report as unsupported, ErrCorrupt for everything else.
func classify(f Format, err error) error {
	var de *decodeError
	if errors.As(err, &de) {
		return err // already ours
	}
	msg := err.Error()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "unexpected EOF" // the input ended inside the image
	}
	var kind error = tracecore.ErrCorrupt
	for _, k := range []error{tracecore.ErrTooLarge, tracecore.ErrUnsupported, tracecore.ErrCorrupt} {
		if errors.Is(err, k) { // tracecore.ReadPBM's errors: "tracecore: corrupt image: pbm: …"
			kind = k
			msg = strings.TrimPrefix(msg, k.Error()+": ")
			break
		}
	}
	var (
		jpegUnsupported jpeg.UnsupportedError
		pngUnsupported  png.UnsupportedError
	)
	switch {
	case errors.As(err, &jpegUnsupported), errors.As(err, &pngUnsupported), errors.Is(err, bmp.ErrUnsupported),
		// gif, webp and vp8 have no error types; vp8 says "not implemented".
		strings.Contains(msg, "unsupported"), strings.Contains(msg, "not implemented"):
		kind = tracecore.ErrUnsupported
	}
	msg = strings.TrimPrefix(msg, string(f)+": ")
	return &decodeError{kind: kind, format: f, msg: msg, err: err}
}

// errHeaderTooLong is what a rewindReader returns once it has recorded
// maxHeaderBytes.
var errHeaderTooLong = fmt.Errorf("more than %d MiB before the image data", maxHeaderBytes>>20)

// A rewindReader lets Decode read the header twice, once for DecodeConfig
// and once for the decoder, from any io.Reader: while recording it keeps
// what it reads (at most maxHeaderBytes), rewind goes back to the start, and
// after replay it serves the recording once more and then reads on directly,
// letting the recording go.
type rewindReader struct {
	r         io.Reader
	buf       []byte // what r gave while recording
	off       int    // the next byte of buf to serve
	recording bool
	overflow  bool  // recording reached maxHeaderBytes
	readErr   error // the first error of r other than io.EOF
}

func (rr *rewindReader) Read(p []byte) (int, error) {
	if rr.off < len(rr.buf) {
		n := copy(p, rr.buf[rr.off:])
		rr.off += n
		if !rr.recording && rr.off == len(rr.buf) {
			rr.buf, rr.off = nil, 0
		}
		return n, nil
	}
	if !rr.recording {
		n, err := rr.r.Read(p)
		rr.note(err)
		return n, err
	}
	room := maxHeaderBytes - len(rr.buf)
	if room <= 0 {
		rr.overflow = true
		return 0, errHeaderTooLong
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := rr.r.Read(p)
	if need := len(rr.buf) + n; need > cap(rr.buf) {
		// Double by hand, up to the limit: append's growth of 1.25 at
		// this size would allocate five times the final buffer in all.
		b := make([]byte, len(rr.buf), min(max(2*cap(rr.buf), need, 512), maxHeaderBytes))
		copy(b, rr.buf)
		rr.buf = b
	}
	rr.buf = append(rr.buf, p[:n]...)
	rr.off = len(rr.buf)
	rr.note(err)
	return n, err
}

func (rr *rewindReader) note(err error) {
	if err != nil && err != io.EOF && rr.readErr == nil {
		rr.readErr = err
	}
}

// rewind goes back to the start of the input.
func (rr *rewindReader) rewind() { rr.off = 0 }

// readAll reads the rest of the input, at most n bytes. Where the input
// says how much it holds (a *bytes.Reader's Len, as the edge and the wasm
// module pass; a regular file's size, as the command line and the workers
// pass), the buffer is allocated once at that size: io.ReadAll's growing
// copies of a 16 MiB JPEG would take as much again in garbage. Anything
// past the size given (a file that grew) is read on as io.ReadAll would.
func (rr *rewindReader) readAll(n int64) ([]byte, error) {
	left, ok := inputLen(rr.r)
	if !ok {
		return io.ReadAll(io.LimitReader(rr, n))
	}
	buf := make([]byte, min(int64(len(rr.buf)-rr.off)+left, n))
	m, err := io.ReadFull(rr, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:m], nil // less than promised: what came is the input
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(rr, n-int64(m)))
	return append(buf, rest...), err
}

// inputLen returns how many bytes r has left, if it can say without
// reading them.
func inputLen(r io.Reader) (int64, bool) {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len()), true
	case interface {
		Stat() (fs.FileInfo, error)
		io.Seeker
	}:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return 0, false
		}
		return fi.Size() - off, true
	}
	return 0, false
}

// replay goes back to the start of the input for the last time.
func (rr *rewindReader) replay() {
	rr.off, rr.recording = 0, false
	if len(rr.buf) == 0 {
		rr.buf = nil
	}
}

// wrap turns a decoder's error into the package's: the reader's own error
// when reading failed, ErrUnsupported when the header was too long, the
// classified decoder error otherwise.
func (rr *rewindReader) wrap(f Format, err error) error {
	if rr.readErr != nil {
		if f == "" {
			return fmt.Errorf("imageio: reading input: %w", rr.readErr)
		}
		return fmt.Errorf("imageio: %s: reading input: %w", f, rr.readErr)
	}
	if rr.overflow {
		return &decodeError{kind: tracecore.ErrUnsupported, format: f, msg: errHeaderTooLong.Error(), err: err}
	}
	return classify(f, err)
}
