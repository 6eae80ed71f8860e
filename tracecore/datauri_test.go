package tracecore

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDataURI(t *testing.T) {
	t.Run("Encoding", func(t *testing.T) {
		got := string(appendDataURI(nil, []byte(`<svg a="1 2"># %&?`)))
		assert.Equal(t, `data:image/svg+xml,%3Csvg%20a='1%202'%3E%23%20%25%26%3F`, got)
	})

	t.Run("DecodesToTheSVG", func(t *testing.T) {
		bm := bitmapFromRows(t,
			"..........",
			".######...",
			".#....#...",
			".#.##.#.#.",
			".######...",
		)
		res := traceWith(t, bm, func(o *Options) { o.TurdSize = 0 })
		uri := res.DataURI()
		require.True(t, strings.HasPrefix(uri, dataURIPrefix))
		body := uri[len(dataURIPrefix):]
		// Nothing that would end an attribute, split a srcset or need HTML escaping.
		assert.NotContains(t, body, " ")
		assert.NotContains(t, body, `"`)
		assert.NotContains(t, body, "<")
		assert.NotContains(t, body, ">")
		assert.NotContains(t, body, "&")
		decoded, err := url.PathUnescape(body)
		require.NoError(t, err)
		assert.Equal(t, strings.ReplaceAll(string(res.SVG()), `"`, `'`), decoded)
	})
}
