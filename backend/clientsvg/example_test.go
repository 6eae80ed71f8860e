package clientsvg_test

import (
	"errors"
	"fmt"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
)

// A browser's SVG is rebuilt in canonical form: the comment and the
// whitespace go, attributes take tracecore's order, colours are lower case
// and path data is written as tracecore writes it. Anything outside the
// allowlist is refused with the reason.
func ExampleSanitize() {
	in := []byte(`<svg viewBox="0 0 8 8" width="16" height="16" xmlns="http://www.w3.org/2000/svg">
  <!-- from the browser -->
  <path d="M 1 1 H 7 V 7 H 1 Z" fill="#FF8800"/>
</svg>`)
	out, err := clientsvg.Sanitize(in, clientsvg.Limits{})
	fmt.Println(string(out), err)

	_, err = clientsvg.Sanitize([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8" viewBox="0 0 8 8" onload="alert(1)"/>`), clientsvg.Limits{})
	fmt.Println(errors.Is(err, clientsvg.ErrRejected), err)
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 8 8"><path fill="#ff8800" d="M1,1h6v6h-6z"/></svg> <nil>
	// true clientsvg: rejected: line 1, column 99: <svg> attribute "onload" is not allowed
}

// Parse gives the server what it needs to judge a trace: sizes, fills and a
// coverage mask to compare with the image.
func ExampleParse() {
	doc, err := clientsvg.Parse([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4" viewBox="0 0 4 4"><path fill="#000000" d="M0,0h2v4h-2z"/></svg>`), clientsvg.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := doc.Rasterize(4, 4)
	n := 0
	for _, a := range m.Pix {
		if a >= clientsvg.CoveredAlpha {
			n++
		}
	}
	fmt.Println(doc.Width, doc.Height, len(doc.Paths), doc.Paths[0].Fill, n)
	// Output: 4 4 1 #000000 8
}
