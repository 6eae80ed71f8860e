package tracecore

// A data: URI of the canonical SVG, URL-encoded rather than base64 (smaller,
// and it gzips with the page): the form a page puts straight into an img src,
// a srcset or a CSS background while the real image loads.

const dataURIPrefix = "data:image/svg+xml,"

// AppendDataURI appends the trace's SVG as a "data:image/svg+xml," URI to dst.
//
// The SVG's double quotes become single quotes and every byte outside
// [A-Za-z0-9 ' , - . / : ; = _ ! * ( )] is percent-encoded (in tracecore's
// output that is only <, >, #, and the spaces between attributes), so the
// URI contains no space, double quote, < or > and is safe in a double-quoted
// HTML attribute, in srcset and in CSS url("…").
func (r *Result) AppendDataURI(dst []byte) []byte {
	svg := r.SVG()
	return appendDataURI(dst, svg)
}

// DataURI returns the trace's SVG as a data: URI; see AppendDataURI.
func (r *Result) DataURI() string {
	return string(r.AppendDataURI(nil))
}

func appendDataURI(dst, svg []byte) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, dataURIPrefix...)
	for _, c := range svg {
		switch {
		case c == '"':
			dst = append(dst, '\'')
		case uriSafe(c):
			dst = append(dst, c)
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// uriSafe reports whether c may stand unescaped in the data URI.
func uriSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '\'', ',', '-', '.', '/', ':', ';', '=', '_', '!', '*', '(', ')':
		return true
	}
	return false
}
