package clientsvg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Errors. Every error Parse and Sanitize return is an *Error wrapping one
// of these.
var (
	// ErrRejected: the input is not in the canonical form's allowlist.
	ErrRejected = errors.New("clientsvg: rejected")
	// ErrTooLarge: the input exceeds a bound of Limits.
	ErrTooLarge = errors.New("clientsvg: too large")
)

// An Error says why an input was refused and where.
type Error struct {
	Err    error // ErrRejected or ErrTooLarge
	Line   int   // 1-based line of the XML token at fault; 0 when not tied to one
	Column int   // 1-based column just after that token
	Reason string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v: line %d, column %d: %s", e.Err, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// Limits bound what Parse accepts. A zero field takes its default.
type Limits struct {
	// MaxBytes bounds the input and the canonical output. Default 1 MiB: a
	// 400-pixel placeholder is 2–10 KB, a posterized one a few times that,
	// and a full-size trace at tenths of a pixel a few hundred KB.
	MaxBytes int
	// MaxPaths bounds the path elements. Default 64: tracecore writes one,
	// two when opaque and at most tracecore.MaxSteps (8) when posterized.
	MaxPaths int
	// MaxPathBytes bounds each path's d attribute, as sent and as
	// rewritten. Default MaxBytes.
	MaxPathBytes int
	// MaxDepth bounds the nesting of g elements. Default 4: tracecore
	// writes none.
	MaxDepth int
}

// Defaults of Limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxPaths = 64
	DefaultMaxDepth = 4
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPaths <= 0 {
		l.MaxPaths = DefaultMaxPaths
	}
	if l.MaxPathBytes <= 0 {
		l.MaxPathBytes = l.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// maxTokens bounds the XML tokens read: a start and an end per element,
// whitespace between them and a comment each, with room for the XML
// declaration and surrounding whitespace. It stops documents made of
// thousands of empty groups or comments, which carry no paths.
func (l Limits) maxTokens() int { return 8*(l.MaxPaths+l.MaxDepth) + 64 }

// maxDimension bounds width, height and the viewBox's size: far beyond any
// image tracecore accepts, and small enough that every coordinate within
// the viewBox's neighbourhood, in millionths, fits an int64 many times over.
const maxDimension = 1 << 30

// maxEvenOddSubpaths bounds the subpaths of a document's evenodd paths, which
// Rasterize draws one by one (tracecore writes none).
const maxEvenOddSubpaths = 256

// A Doc is a parsed canonical SVG document.
type Doc struct {
	Width, Height int // the image's size: the svg's width and height
	// ViewWidth and ViewHeight are the viewBox's size, "0 0 ViewWidth
	// ViewHeight": the size of the traced bitmap.
	ViewWidth, ViewHeight int
	Paths                 []Path
}

// A Path is a path element with its inherited fill resolved.
type Path struct {
	Fill        string  // "#rgb" or "#rrggbb", lowercase
	FillOpacity float64 // in [0, 1], a multiple of 1/Scale
	FillRule    string  // "nonzero" or "evenodd"
	Data        PathData
}

// Scale is the number of path data units per pixel: numbers are held as
// integers in millionths, the finest grid tracecore writes (precision 6), so
// converting between absolute and relative commands is exact.
const Scale = 1_000_000

// maxFraction is the decimals a number may have: log10(Scale).
const maxFraction = 6

// Parse reads an SVG document and returns it if it is in the canonical form's
// allowlist and within lim. Errors are *Error values wrapping ErrRejected or
// ErrTooLarge.
func Parse(svg []byte, lim Limits) (*Doc, error) {
	doc, _, err := parse(svg, lim)
	return doc, err
}

// Sanitize returns svg rebuilt in canonical form: Parse followed by Bytes.
func Sanitize(svg []byte, lim Limits) ([]byte, error) {
	_, out, err := parse(svg, lim)
	return out, err
}

// style is the fill a g or svg element passes on to its content.
type style struct {
	fill    string
	opacity int64 // in 1/Scale
	rule    string
}

// frame is an open element.
type frame struct {
	name  string // "svg", "g" or "path"
	style style
}

func parse(svg []byte, lim Limits) (*Doc, []byte, error) {
	lim = lim.withDefaults()
	if len(svg) > lim.MaxBytes {
		return nil, nil, &Error{Err: ErrTooLarge, Reason: fmt.Sprintf("%d bytes, over the limit of %d", len(svg), lim.MaxBytes)}
	}
	p := parser{lim: lim, dec: xml.NewDecoder(bytes.NewReader(svg))}
	// Strict, no entities but XML's five, no charset conversion: a
	// document declaring another encoding fails.
	p.dec.Strict = true
	doc, err := p.run()
	if err != nil {
		return nil, nil, err
	}
	out := doc.Bytes()
	if len(out) > lim.MaxBytes {
		return nil, nil, &Error{Err: ErrTooLarge, Reason: fmt.Sprintf("canonical form is %d bytes, over the limit of %d", len(out), lim.MaxBytes)}
	}
	return doc, out, nil
}

type parser struct {
	lim        Limits
	dec        *xml.Decoder
	stack      []frame
	doc        *Doc
	tokens     int
	depth      int // open g elements
	rootDone   bool
	evenOddSub int
}

func (p *parser) fail(kind error, format string, args ...any) error {
	line, col := p.dec.InputPos()
	return &Error{Err: kind, Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) run() (*Doc, error) {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &Error{Err: ErrRejected, Line: se.Line, Reason: "malformed XML: " + se.Msg}
			}
			return nil, p.fail(ErrRejected, "malformed XML: %v", err)
		}
		p.tokens++
		if p.tokens > p.lim.maxTokens() {
			return nil, p.fail(ErrTooLarge, "more than %d XML tokens", p.lim.maxTokens())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			top := p.stack[len(p.stack)-1]
			p.stack = p.stack[:len(p.stack)-1]
			if top.name == "g" {
				p.depth--
			}
			if len(p.stack) == 0 {
				p.rootDone = true
			}
		case xml.CharData:
			if !isSpace(t) {
				return nil, p.fail(ErrRejected, "text content %s is not allowed", quote(t))
			}
		case xml.Comment:
			// dropped
		case xml.ProcInst:
			if t.Target != "xml" || p.tokens != 1 {
				return nil, p.fail(ErrRejected, "processing instruction <?%s?> is not allowed", quoteName(t.Target))
			}
		case xml.Directive:
			return nil, p.fail(ErrRejected, "directive <!%s> is not allowed (no DOCTYPE, no entities)", quote(firstWord(t)))
		default:
			return nil, p.fail(ErrRejected, "unexpected XML token %T", tok)
		}
	}
	if p.doc == nil {
		return nil, &Error{Err: ErrRejected, Reason: "no svg element"}
	}
	return p.doc, nil
}

func (p *parser) start(t xml.StartElement) error {
	name := t.Name.Local
	if t.Name.Space != svgNS {
		if t.Name.Space == "" {
			return p.fail(ErrRejected, "element <%s> is not in the SVG namespace (xmlns=%q on the svg element)", quoteName(name), svgNS)
		}
		return p.fail(ErrRejected, "element <%s> in namespace %s is not allowed", quoteName(name), quote([]byte(t.Name.Space)))
	}
	if p.rootDone {
		return p.fail(ErrRejected, "element <%s> after the svg element", quoteName(name))
	}
	if len(p.stack) == 0 {
		if name != "svg" {
			return p.fail(ErrRejected, "root element <%s> is not svg", quoteName(name))
		}
		doc, st, err := p.svgAttrs(t.Attr)
		if err != nil {
			return err
		}
		p.doc = doc
		p.stack = append(p.stack, frame{name: "svg", style: st})
		return nil
	}
	parent := p.stack[len(p.stack)-1]
	if parent.name == "path" {
		return p.fail(ErrRejected, "element <%s> inside <path>", quoteName(name))
	}
	switch name {
	case "g":
		if p.depth >= p.lim.MaxDepth {
			return p.fail(ErrTooLarge, "<g> nested more than %d deep", p.lim.MaxDepth)
		}
		st, _, err := p.styleAttrs("g", t.Attr, parent.style, false)
		if err != nil {
			return err
		}
		p.depth++
		p.stack = append(p.stack, frame{name: "g", style: st})
	case "path":
		if len(p.doc.Paths) >= p.lim.MaxPaths {
			return p.fail(ErrTooLarge, "more than %d paths", p.lim.MaxPaths)
		}
		st, d, err := p.styleAttrs("path", t.Attr, parent.style, true)
		if err != nil {
			return err
		}
		path := Path{Fill: st.fill, FillOpacity: float64(st.opacity) / Scale, FillRule: st.rule, Data: d}
		if st.rule == "evenodd" {
			p.evenOddSub += d.subpaths()
			if p.evenOddSub > maxEvenOddSubpaths {
				return p.fail(ErrTooLarge, "more than %d subpaths in evenodd paths", maxEvenOddSubpaths)
			}
		}
		if n := len(appendPathData(nil, d)); n > p.lim.MaxPathBytes {
			return p.fail(ErrTooLarge, "<path> d is %d bytes in canonical form, over the limit of %d", n, p.lim.MaxPathBytes)
		}
		p.doc.Paths = append(p.doc.Paths, path)
		p.stack = append(p.stack, frame{name: "path"})
	default:
		return p.fail(ErrRejected, "element <%s> is not allowed", quoteName(name))
	}
	return nil
}

// attrName is an attribute's name as written, for messages.
func attrName(a xml.Attr) string {
	switch a.Name.Space {
	case "":
		return a.Name.Local
	case "xmlns":
		return "xmlns:" + a.Name.Local
	case "http://www.w3.org/1999/xlink":
		return "xlink:" + a.Name.Local
	case "http://www.w3.org/XML/1998/namespace":
		return "xml:" + a.Name.Local
	}
	return a.Name.Space + ":" + a.Name.Local
}

// checkAttr rejects namespaced attributes, namespace declarations and
// duplicates; it returns the attribute's local name.
func (p *parser) checkAttr(elem string, a xml.Attr, seen map[string]bool) (string, error) {
	name := attrName(a)
	if a.Name.Space != "" {
		return "", p.fail(ErrRejected, "<%s> attribute %s is not allowed", elem, quoteName(name))
	}
	if seen[name] {
		return "", p.fail(ErrRejected, "<%s> attribute %s is repeated", elem, quoteName(name))
	}
	seen[name] = true
	return name, nil
}

func (p *parser) svgAttrs(attrs []xml.Attr) (*Doc, style, error) {
	doc := &Doc{}
	seen := make(map[string]bool, 4)
	for _, a := range attrs {
		name, err := p.checkAttr("svg", a, seen)
		if err != nil {
			return nil, style{}, err
		}
		v := trimSpace(a.Value)
		switch name {
		case "xmlns":
			if v != svgNS {
				return nil, style{}, p.fail(ErrRejected, "<svg> xmlns is %s, not %q", quote([]byte(a.Value)), svgNS)
			}
		case "width", "height":
			n, ok := parseDimension(v)
			if !ok {
				return nil, style{}, p.fail(ErrRejected, "<svg> %s %s is not a positive integer up to %d", name, quote([]byte(a.Value)), maxDimension)
			}
			if name == "width" {
				doc.Width = n
			} else {
				doc.Height = n
			}
		case "viewBox":
			w, h, ok := parseViewBox(v)
			if !ok {
				return nil, style{}, p.fail(ErrRejected, "<svg> viewBox %s is not \"0 0 W H\" with W and H positive integers up to %d", quote([]byte(a.Value)), maxDimension)
			}
			doc.ViewWidth, doc.ViewHeight = w, h
		default:
			return nil, style{}, p.fail(ErrRejected, "<svg> attribute %s is not allowed", quoteName(name))
		}
	}
	for _, name := range []string{"xmlns", "width", "height", "viewBox"} {
		if !seen[name] {
			return nil, style{}, p.fail(ErrRejected, "<svg> has no %s", name)
		}
	}
	return doc, style{fill: "#000000", opacity: Scale, rule: "nonzero"}, nil
}

// styleAttrs reads the attributes of a g (withD false) or path element,
// returning the style it passes on and, for a path, its data.
func (p *parser) styleAttrs(elem string, attrs []xml.Attr, st style, withD bool) (style, PathData, error) {
	var d PathData
	seen := make(map[string]bool, 4)
	for _, a := range attrs {
		name, err := p.checkAttr(elem, a, seen)
		if err != nil {
			return st, d, err
		}
		switch name {
		case "fill":
			c, ok := parseColor(trimSpace(a.Value))
			if !ok {
				return st, d, p.fail(ErrRejected, "<%s> fill %s is not #rgb or #rrggbb", elem, quote([]byte(a.Value)))
			}
			st.fill = c
		case "fill-opacity":
			v, ok := parseWholeNumber(trimSpace(a.Value))
			if !ok || v < 0 || v > Scale {
				return st, d, p.fail(ErrRejected, "<%s> fill-opacity %s is not a number in [0, 1] with at most %d decimals", elem, quote([]byte(a.Value)), maxFraction)
			}
			st.opacity = v
		case "fill-rule":
			switch v := trimSpace(a.Value); v {
			case "nonzero", "evenodd":
				st.rule = v
			default:
				return st, d, p.fail(ErrRejected, "<%s> fill-rule %s is not nonzero or evenodd", elem, quote([]byte(a.Value)))
			}
		case "d":
			if !withD {
				return st, d, p.fail(ErrRejected, "<%s> attribute \"d\" is not allowed", elem)
			}
			if len(a.Value) > p.lim.MaxPathBytes {
				return st, d, p.fail(ErrTooLarge, "<path> d is %d bytes, over the limit of %d", len(a.Value), p.lim.MaxPathBytes)
			}
			var err error
			d, err = parsePathData(a.Value, p.doc.ViewWidth, p.doc.ViewHeight)
			if err != nil {
				return st, d, p.fail(ErrRejected, "<path> d: %v", err)
			}
		default:
			return st, d, p.fail(ErrRejected, "<%s> attribute %s is not allowed", elem, quoteName(name))
		}
	}
	if withD && !seen["d"] {
		return st, d, p.fail(ErrRejected, "<path> has no d")
	}
	return st, d, nil
}

// isXMLSpace reports whether c is XML whitespace, which is also SVG's.
func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isSpace(b []byte) bool {
	for _, c := range b {
		if !isXMLSpace(c) {
			return false
		}
	}
	return true
}

func trimSpace(s string) string {
	for len(s) > 0 && isXMLSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isXMLSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func firstWord(b []byte) []byte {
	for i, c := range b {
		if isXMLSpace(c) {
			return b[:i]
		}
	}
	return b
}

// quote quotes at most the first 40 bytes of b for a message.
func quote(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

func quoteName(s string) string { return quote([]byte(s)) }

func parseColor(s string) (string, bool) {
	if (len(s) != 4 && len(s) != 7) || s[0] != '#' {
		return "", false
	}
	b := []byte(s)
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}

// parseDimension parses a positive integer up to maxDimension.
func parseDimension(s string) (int, bool) {
	v, ok := parseWholeNumber(s)
	if !ok || v <= 0 || v%Scale != 0 || v/Scale > maxDimension {
		return 0, false
	}
	return int(v / Scale), true
}

func parseViewBox(s string) (w, h int, ok bool) {
	var v [4]int64
	i := 0
	for k := range v {
		if k > 0 {
			i = skipCommaSpace(s, i)
		}
		n, next, err := parseNumber(s, i)
		if err != nil {
			return 0, 0, false
		}
		v[k], i = n, next
	}
	if i != len(s) || v[0] != 0 || v[1] != 0 {
		return 0, 0, false
	}
	w, okW := parseDimensionUnits(v[2])
	h, okH := parseDimensionUnits(v[3])
	return w, h, okW && okH
}

func parseDimensionUnits(v int64) (int, bool) {
	if v <= 0 || v%Scale != 0 || v/Scale > maxDimension {
		return 0, false
	}
	return int(v / Scale), true
}

// parseWholeNumber parses s as exactly one number.
func parseWholeNumber(s string) (int64, bool) {
	v, next, err := parseNumber(s, 0)
	if err != nil || next != len(s) {
		return 0, false
	}
	return v, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isXMLSpace(s[i]) {
		i++
	}
	return i
}

// skipCommaSpace skips SVG's comma-wsp: whitespace, at most one comma,
// whitespace.
func skipCommaSpace(s string, i int) int {
	i = skipSpace(s, i)
	if i < len(s) && s[i] == ',' {
		i = skipSpace(s, i+1)
	}
	return i
}
