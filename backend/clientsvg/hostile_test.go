package clientsvg_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/svgtrace/svgtrace/backend/clientsvg"
)

// hostile maps each file of testdata/hostile to the error it must give and a
// substring of the reason.
var hostile = map[string]struct {
	err    error
	reason string
}{
	"a-javascript.svg":        {clientsvg.ErrRejected, `element <"a"> is not allowed`},
	"animate-onbegin.svg":     {clientsvg.ErrRejected, `element <"animate"> inside <path>`},
	"billion-laughs.svg":      {clientsvg.ErrRejected, `directive <!"DOCTYPE">`},
	"cdata.svg":               {clientsvg.ErrRejected, `text content "<script>`},
	"child-of-path.svg":       {clientsvg.ErrRejected, `element <"path"> inside <path>`},
	"class-id.svg":            {clientsvg.ErrRejected, `<path> attribute "id" is not allowed`},
	"deep-groups.svg":         {clientsvg.ErrTooLarge, "<g> nested more than 4 deep"},
	"doctype-plain.svg":       {clientsvg.ErrRejected, `directive <!"DOCTYPE">`},
	"duplicate-attr.svg":      {clientsvg.ErrRejected, `attribute "fill" is repeated`},
	"empty.svg":               {clientsvg.ErrRejected, "no svg element"},
	"encoding-latin1.svg":     {clientsvg.ErrRejected, "malformed XML"},
	"entity-undeclared.svg":   {clientsvg.ErrRejected, "malformed XML: invalid character entity &xxe;"},
	"external-entity.svg":     {clientsvg.ErrRejected, `directive <!"DOCTYPE">`},
	"fill-name.svg":           {clientsvg.ErrRejected, `<g> fill "red" is not #rgb or #rrggbb`},
	"fill-none.svg":           {clientsvg.ErrRejected, `<path> fill "none"`},
	"fill-opacity-2.svg":      {clientsvg.ErrRejected, `fill-opacity "2" is not a number in [0, 1]`},
	"fill-rule-bad.svg":       {clientsvg.ErrRejected, `fill-rule "inherit"`},
	"fill-url.svg":            {clientsvg.ErrRejected, `<path> fill "url(#x)" is not #rgb or #rrggbb`},
	"foreignobject.svg":       {clientsvg.ErrRejected, `element <"foreignObject"> is not allowed`},
	"href-path.svg":           {clientsvg.ErrRejected, `<path> attribute "href" is not allowed`},
	"image.svg":               {clientsvg.ErrRejected, `element <"image"> is not allowed`},
	"malformed.svg":           {clientsvg.ErrRejected, "malformed XML"},
	"missing-viewbox.svg":     {clientsvg.ErrRejected, "<svg> has no viewBox"},
	"nested-svg.svg":          {clientsvg.ErrRejected, `element <"svg"> is not allowed`},
	"no-ns.svg":               {clientsvg.ErrRejected, `element <"svg"> is not in the SVG namespace`},
	"nonsvg-default-ns.svg":   {clientsvg.ErrRejected, `element <"svg"> in namespace "http://evil.example/ns"`},
	"nonsvg-ns-element.svg":   {clientsvg.ErrRejected, `element <"evil"> in namespace "http://evil.example/ns"`},
	"onclick-path.svg":        {clientsvg.ErrRejected, `<path> attribute "onclick" is not allowed`},
	"onload.svg":              {clientsvg.ErrRejected, `<svg> attribute "onload" is not allowed`},
	"path-1e400.svg":          {clientsvg.ErrRejected, "has an exponent"},
	"path-arc.svg":            {clientsvg.ErrRejected, `command 'a' at offset 4 is not allowed`},
	"path-far.svg":            {clientsvg.ErrRejected, "lies outside [-10, 20]"},
	"path-inf.svg":            {clientsvg.ErrRejected, `expected a number at offset 6, found 'I'`},
	"path-nan.svg":            {clientsvg.ErrRejected, `expected a number at offset 5, found 'N'`},
	"path-quad.svg":           {clientsvg.ErrRejected, `command 'q'`},
	"path-unknown.svg":        {clientsvg.ErrRejected, `command 'x'`},
	"procinst-inside.svg":     {clientsvg.ErrRejected, `processing instruction <?"php"?>`},
	"procinst-stylesheet.svg": {clientsvg.ErrRejected, `processing instruction <?"xml-stylesheet"?>`},
	"script-ns.svg":           {clientsvg.ErrRejected, `element <"script"> in namespace "http://www.w3.org/1999/xhtml"`},
	"script.svg":              {clientsvg.ErrRejected, `element <"script"> is not allowed`},
	"set-onbegin.svg":         {clientsvg.ErrRejected, `element <"set"> is not allowed`},
	"style-attr.svg":          {clientsvg.ErrRejected, `<path> attribute "style" is not allowed`},
	"style-import.svg":        {clientsvg.ErrRejected, `element <"style"> is not allowed`},
	"style-url.svg":           {clientsvg.ErrRejected, `element <"style"> is not allowed`},
	"svg-prefixed.svg":        {clientsvg.ErrRejected, `<svg> attribute "xmlns:s" is not allowed`},
	"text.svg":                {clientsvg.ErrRejected, `text content "hello"`},
	"title.svg":               {clientsvg.ErrRejected, `element <"title"> is not allowed`},
	"too-many-paths.svg":      {clientsvg.ErrTooLarge, "more than 64 paths"},
	"transform.svg":           {clientsvg.ErrRejected, `<g> attribute "transform" is not allowed`},
	"two-roots.svg":           {clientsvg.ErrRejected, `element <"svg"> after the svg element`},
	"use-data.svg":            {clientsvg.ErrRejected, `element <"use"> is not allowed`},
	"use-http.svg":            {clientsvg.ErrRejected, `element <"use"> is not allowed`},
	"viewbox-offset.svg":      {clientsvg.ErrRejected, `viewBox "-5 0 10 10" is not "0 0 W H"`},
	"width-units.svg":         {clientsvg.ErrRejected, `<svg> width "10px" is not a positive integer`},
	"xhtml-root.svg":          {clientsvg.ErrRejected, `element <"html"> in namespace "http://www.w3.org/1999/xhtml"`},
	"xlink-href-path.svg":     {clientsvg.ErrRejected, `<path> attribute "xlink:href" is not allowed`}, // prefix unbound
	"xlink-href.svg":          {clientsvg.ErrRejected, `<svg> attribute "xmlns:xlink" is not allowed`},
	"xml-base.svg":            {clientsvg.ErrRejected, `<path> attribute "xml:base" is not allowed`},
}

func TestHostile(t *testing.T) {
	files, err := filepath.Glob("testdata/hostile/*.svg")
	require.NoError(t, err)
	require.Len(t, files, len(hostile), "every file has a table entry and every entry a file")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".svg"), func(t *testing.T) {
			want, ok := hostile[name]
			require.True(t, ok, "no table entry for %s", name)
			in, err := os.ReadFile(f)
			require.NoError(t, err)
			out, err := clientsvg.Sanitize(in, clientsvg.Limits{})
			require.ErrorIs(t, err, want.err)
			assert.Nil(t, out)
			assert.Contains(t, err.Error(), want.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "clientsvg: "))
		})
	}
}

// watchdog panics, with every goroutine's stack, if the test is still running
// after d: a rejection that should be immediate must not hang the run.
func watchdog(t *testing.T, d time.Duration) {
	t.Helper()
	timer := time.AfterFunc(d, func() { panic(t.Name() + ": still running after " + d.String()) })
	t.Cleanup(func() { timer.Stop() })
}

func TestHostileGenerated(t *testing.T) {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">`

	t.Run("DeeplyNestedGroups", func(t *testing.T) {
		watchdog(t, 5*time.Second)
		const n = 100_000
		in := head + strings.Repeat("<g>", n) + strings.Repeat("</g>", n) + "</svg>"
		start := time.Now()
		_, err := clientsvg.Sanitize([]byte(in), clientsvg.Limits{})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge)
		assert.Contains(t, err.Error(), "<g> nested more than 4 deep")
		assert.Less(t, time.Since(start), 100*time.Millisecond)
	})

	t.Run("DepthLimitInclusive", func(t *testing.T) {
		in := head + strings.Repeat("<g>", 4) + `<path d="M1,1h1v1h-1z"/>` + strings.Repeat("</g>", 4) + "</svg>"
		out, err := clientsvg.Sanitize([]byte(in), clientsvg.Limits{})
		require.NoError(t, err)
		assert.Equal(t, head+`<path fill="#000000" d="M1,1h1v1h-1z"/></svg>`, string(out))
	})

	t.Run("HugePathData", func(t *testing.T) {
		// One 100 MB document, rejected by its size before any parsing.
		watchdog(t, 5*time.Second)
		in := make([]byte, 100<<20)
		copy(in, head+`<path d="M0,0`)
		for i := len(head) + 14; i < len(in); i++ {
			in[i] = '1'
		}
		start := time.Now()
		_, err := clientsvg.Sanitize(in, clientsvg.Limits{})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge)
		assert.Contains(t, err.Error(), "104857600 bytes, over the limit of 1048576")
		assert.Less(t, time.Since(start), 100*time.Millisecond)
	})

	t.Run("PathBytes", func(t *testing.T) {
		d := "M0,0" + strings.Repeat("h1h-1", 400) + "z"
		in := []byte(head + `<path d="` + d + `"/></svg>`)
		_, err := clientsvg.Sanitize(in, clientsvg.Limits{MaxPathBytes: 1000})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge)
		assert.Contains(t, err.Error(), "<path> d is 2005 bytes, over the limit of 1000")
	})

	t.Run("CanonicalFormOverLimit", func(t *testing.T) {
		// Absolute coordinates that become longer relative ones: the
		// canonical form, not only the input, must fit MaxBytes.
		var b bytes.Buffer
		b.WriteString(head + `<path d="M0 0`)
		for range 200 {
			b.WriteString("L9 9L0 0")
		}
		b.WriteString(`z"/></svg>`)
		out, err := clientsvg.Sanitize(b.Bytes(), clientsvg.Limits{})
		require.NoError(t, err)
		_, err = clientsvg.Sanitize(b.Bytes(), clientsvg.Limits{MaxBytes: b.Len()})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge, "input %d bytes, canonical %d", b.Len(), len(out))
		assert.Contains(t, err.Error(), "canonical form is")
	})

	t.Run("ManyTokens", func(t *testing.T) {
		in := head + strings.Repeat("<!-- x -->", 2000) + "</svg>"
		_, err := clientsvg.Sanitize([]byte(in), clientsvg.Limits{})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge)
		assert.Contains(t, err.Error(), "XML tokens")
	})

	t.Run("ManyEvenOddSubpaths", func(t *testing.T) {
		in := head + `<path fill-rule="evenodd" d="M0,0` + strings.Repeat("h1v1h-1zm0,0", 300) + `h1z"/></svg>`
		_, err := clientsvg.Sanitize([]byte(in), clientsvg.Limits{})
		require.ErrorIs(t, err, clientsvg.ErrTooLarge)
		assert.Contains(t, err.Error(), "evenodd")
	})
}
