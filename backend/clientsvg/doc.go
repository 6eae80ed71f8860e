// Package clientsvg rebuilds SVG traced in browsers into svgtrace's canonical
// form (docs/svg.md) and rejects everything else.
//
// Browsers trace images themselves, with tracecore compiled to WebAssembly,
// and send the SVG to the server. The server trusts none of it: Parse reads
// the document with encoding/xml against an allowlist, keeps only numbers,
// colours and command letters, and Doc.Bytes writes a new document from
// them. Sanitize is the two in one.
//
// # Guarantees
//
//   - The output is the canonical form and nothing else: one svg element
//     with xmlns, width, height and viewBox="0 0 W H", holding path elements
//     with fill (#rgb or #rrggbb, lowercase), fill-opacity (only when below
//     1), fill-rule (only when evenodd) and d, in that order, written with
//     no whitespace. Every byte of it is written by this package from parsed
//     numbers, so nothing in it can load a resource or run code.
//   - tracecore's output is accepted and returned byte for byte unchanged,
//     whatever its options (precision 0 to 6, posterized, opaque, colour).
//   - Sanitize is idempotent: Sanitize(Sanitize(x)) == Sanitize(x) for every
//     x it accepts.
//   - Rejection is explicit: every error is an *Error wrapping ErrRejected
//     (not in the form) or ErrTooLarge (over a Limits bound), and says what
//     was wrong and where (line and column, and the offset in d).
//   - Work is bounded by the input's size, which is checked against
//     Limits.MaxBytes before anything is parsed. Parsing stops at the first
//     violation; nesting is tracked without recursion and capped at
//     Limits.MaxDepth groups; the XML tokens read are capped; no entity is
//     ever expanded.
//
// # What is accepted
//
// Elements svg (the root), g (up to MaxDepth deep, its fill, fill-opacity
// and fill-rule inherited by the paths inside, then dropped) and path.
// Attributes: on svg xmlns (the SVG namespace), width, height and viewBox;
// on g fill, fill-opacity and fill-rule; on path the same and d. Values may
// carry surrounding whitespace; colours may be upper case. Path data may use
// M m L l H h V v C c S s Z z, absolute or relative, with spaces or commas,
// implicit command repetition, leading and trailing zeros and a + sign; it
// is rewritten in tracecore's relative form (first M absolute, every other
// command relative). Comments, whitespace and an XML declaration at the
// very start are dropped.
//
// # What is rejected
//
// Any other element (script, style, title, desc, defs, use, image, a,
// foreignObject, animate, set, another svg, ...), any other attribute
// (on* handlers, style, class, id, transform, href, xlink:*, any
// namespaced attribute or namespace declaration), elements outside the SVG
// namespace, DOCTYPE and every other directive, processing instructions,
// CDATA or text other than whitespace, fills other than hex colours (url(),
// none, names), fill-opacity outside [0, 1], numbers with exponents, more
// than 6 decimals or NaN/Inf spellings, path commands tracecore never
// writes (Q T A), subpaths not closed with z, points far outside the
// viewBox (more than its size beyond any edge), and width, height or
// viewBox other than positive integers (viewBox with origin 0 0).
//
// # Plausibility
//
// Doc.Rasterize renders the document's coverage with
// golang.org/x/image/vector so the server can compare a browser's trace with
// the image it claims to trace; a pixel is covered when its alpha is at
// least CoveredAlpha (50 %).
package clientsvg
