package imageio

import (
	"bufio"
	"context"
	"io"

	"github.com/svgtrace/svgtrace/tracecore"
)

// Trace reads one image from r, recognised by its bytes, and traces it with
// t and o. A PBM is traced exactly as given, as potrace does (threshold and
// scaling apply only when it is read as an image, for a MaxSide); everything
// else is decoded by DecodeReduced, so a large JPEG is read at reduced scale
// when o.MaxSide allows, and prepared by tracecore. Errors are those of
// Sniff, DecodeReduced and tracecore: a malformed or unknown input wraps
// tracecore.ErrCorrupt or tracecore.ErrUnsupported, an oversized one
// tracecore.ErrTooLarge.
func Trace(ctx context.Context, t *tracecore.Tracer, r io.Reader, o tracecore.Options) (*tracecore.Result, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(SniffLen)
	format, err := Sniff(head)
	if err != nil {
		return nil, err
	}
	if format == PBM && o.MaxSide == 0 {
		bm, err := tracecore.ReadPBM(br, o.MaxPixels)
		if err != nil {
			return nil, err
		}
		return t.Trace(ctx, bm, o)
	}
	img, _, err := DecodeReduced(br, o.MaxPixels, o.MaxSide)
	if err != nil {
		return nil, err
	}
	return t.TraceImage(ctx, img, o)
}
