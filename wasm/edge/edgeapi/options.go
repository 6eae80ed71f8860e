package edgeapi

import (
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/svgtrace/svgtrace/tracecore"
	"github.com/svgtrace/svgtrace/wasm/browser/jsapi"
)

// optionKinds maps each tracecore.Options JSON name to its Go kind, which
// says how a query parameter's text becomes the value jsapi.ParseOptions
// takes. Read from the struct so a new option needs no change here.
var optionKinds = func() map[string]reflect.Kind {
	m := map[string]reflect.Kind{}
	t := reflect.TypeFor[tracecore.Options]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = t.Field(i).Type.Kind()
		}
	}
	return m
}()

// parseOptions reads the trace options from the query: the placeholder
// preset with the parameters set over it by jsapi.ParseOptions, as the
// browser and the server read them. maxpixels defaults to the edge's
// largest limit and may only lower it; maxside must be 1 to cfg.MaxSide.
func parseOptions(q url.Values, cfg Config) (tracecore.Options, error) {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // map order must not choose which error is reported
	fields := make([]jsapi.Field, 0, len(names))
	for _, name := range names {
		if len(q[name]) > 1 {
			return tracecore.Options{}, errorf(http.StatusBadRequest, CodeBadOptions, "option %s given %d times", name, len(q[name]))
		}
		v, err := queryValue(name, q.Get(name))
		if err != nil {
			return tracecore.Options{}, err
		}
		fields = append(fields, jsapi.Field{Name: name, Value: v})
	}
	o, err := jsapi.ParseOptions(fields)
	if err != nil {
		return tracecore.Options{}, errorf(http.StatusBadRequest, CodeBadOptions, "%v", err)
	}
	if !q.Has("maxpixels") {
		o.MaxPixels = cfg.MaxPixelsReduced
	}
	if o.MaxPixels <= 0 || o.MaxPixels > cfg.MaxPixelsReduced {
		return tracecore.Options{}, errorf(http.StatusBadRequest, CodeBadOptions,
			"maxpixels must be 1 to %d, the edge's limit", cfg.MaxPixelsReduced)
	}
	if o.MaxSide <= 0 || o.MaxSide > cfg.MaxSide {
		return tracecore.Options{}, errorf(http.StatusBadRequest, CodeBadOptions,
			"maxside must be 1 to %d on the edge (the trace's size bounds its CPU time)", cfg.MaxSide)
	}
	return o, nil
}

// queryValue turns a parameter's text into the JSON-like value of the
// option's kind: "null" is nil (tracecore's default), numbers and
// booleans are parsed, thresholds is a comma-separated list. Text that
// does not parse is passed on as a string, for jsapi.ParseOptions to
// accept ("auto" for threshold) or reject with tracecore's message.
func queryValue(name, s string) (any, error) {
	if s == "null" {
		return nil, nil
	}
	switch optionKinds[name] {
	case reflect.Bool:
		if b, err := strconv.ParseBool(s); err == nil {
			return b, nil
		}
	case reflect.Int, reflect.Int64, reflect.Float64:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	case reflect.Slice:
		if s == "" {
			return []any{}, nil
		}
		parts := strings.Split(s, ",")
		a := make([]any, len(parts))
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, CodeBadOptions, "%s must be numbers separated by commas, not %q", name, s)
			}
			a[i] = f
		}
		return a, nil
	}
	return s, nil
}

// The media types of the answer formats, in the order that breaks a tie
// in Accept: SVG first, the endpoint's main answer.
var formatTypes = []struct{ format, mediaType string }{
	{formatSVG, "image/svg+xml"},
	{formatJSON, "application/json"},
	{formatDataURI, "text/plain"},
}

// chooseFormat returns the answer's format: the format parameter if
// given, else the one Accept prefers (highest q, the more specific range
// deciding each type's q), else SVG when there is no Accept.
func chooseFormat(param string, accept []string) (string, error) {
	if param != "" {
		for _, f := range formatTypes {
			if param == f.format {
				return param, nil
			}
		}
		return "", errorf(http.StatusBadRequest, CodeBadRequest, "format %q: want svg, datauri or json", param)
	}
	ranges := acceptRanges(accept)
	if len(ranges) == 0 {
		return formatSVG, nil
	}
	best, bestQ := "", 0.0
	for _, f := range formatTypes {
		if q := acceptQ(ranges, f.mediaType); q > bestQ {
			best, bestQ = f.format, q
		}
	}
	if best == "" {
		return "", errorf(http.StatusNotAcceptable, CodeNotAcceptable,
			"Accept %q: the answer is image/svg+xml, text/plain (data URI) or application/json", strings.Join(accept, ", "))
	}
	return best, nil
}

type acceptRange struct {
	typ, sub string
	q        float64
}

// acceptRanges parses Accept headers' media ranges; malformed ones are
// skipped, as if not sent.
func acceptRanges(accept []string) []acceptRange {
	var out []acceptRange
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			typ, sub, ok := strings.Cut(mt, "/")
			if !ok {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
			out = append(out, acceptRange{typ, sub, q})
		}
	}
	return out
}

// acceptQ is the q the most specific range matching mediaType gives it:
// type/subtype over type/* over */* (RFC 9110, section 12.5.1); 0 when none
// matches.
func acceptQ(ranges []acceptRange, mediaType string) float64 {
	typ, sub, _ := strings.Cut(mediaType, "/")
	q, specificity := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.sub == sub:
			s = 2
		case r.typ == typ && r.sub == "*":
			s = 1
		case r.typ == "*" && r.sub == "*":
			s = 0
		}
		if s > specificity {
			q, specificity = r.q, s
		}
	}
	return q
}
