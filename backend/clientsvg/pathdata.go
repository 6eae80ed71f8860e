package clientsvg

import (
	"fmt"
	"iter"
	"strconv"

	"github.com/svgtrace/svgtrace/tracecore"
)

// PathData is a path's d in tracecore's form: the first command an absolute
// M, every other one relative (m l h v c s z), its numbers in 1/Scale
// pixels.
type PathData struct {
	Ops  []byte  // command letters, one per command
	Args []int64 // every command's numbers, in order (argCount(op) each)
}

// A Command is one path command and its numbers, in 1/Scale pixels.
type Command struct {
	Op   byte // 'M' (first only), 'm', 'l', 'h', 'v', 'c', 's' or 'z'
	Args []int64
}

// Commands iterates over the commands of d.
func (d PathData) Commands() iter.Seq[Command] {
	return func(yield func(Command) bool) {
		k := 0
		for _, op := range d.Ops {
			n := argCount(op)
			if n < 0 || k+n > len(d.Args) {
				return
			}
			if !yield(Command{Op: op, Args: d.Args[k : k+n : k+n]}) {
				return
			}
			k += n
		}
	}
}

func (d PathData) subpaths() int {
	n := 0
	for _, op := range d.Ops {
		if op == 'z' {
			n++
		}
	}
	return n
}

// argCount is the numbers a canonical command takes, -1 for an unknown one.
func argCount(op byte) int {
	switch op {
	case 'z':
		return 0
	case 'h', 'v':
		return 1
	case 'M', 'm', 'l':
		return 2
	case 's':
		return 4
	case 'c':
		return 6
	}
	return -1
}

// parseNumber parses a decimal at s[i:]: an optional sign, digits and an
// optional fraction of at most maxFraction significant decimals, no
// exponent. It returns the value in 1/Scale and the offset after it.
func parseNumber(s string, i int) (int64, int, error) {
	start := i
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits := false
	var ip int64
	significant := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits = true
		if ip == 0 && s[i] == '0' {
			continue
		}
		if significant++; significant > 10 {
			return 0, i, fmt.Errorf("number at offset %d has more than 10 digits before the point", start)
		}
		ip = ip*10 + int64(s[i]-'0')
	}
	var fp int64
	frac := 0
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits = true
			if frac < maxFraction {
				fp = fp*10 + int64(s[i]-'0')
				frac++
			} else if s[i] != '0' {
				return 0, i, fmt.Errorf("number at offset %d has more than %d decimals", start, maxFraction)
			}
		}
	}
	if !digits {
		if i < len(s) {
			return 0, i, fmt.Errorf("expected a number at offset %d, found %s", i, strconv.QuoteRune(rune(s[i])))
		}
		return 0, i, fmt.Errorf("expected a number at offset %d, found the end", i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		return 0, i, fmt.Errorf("number at offset %d has an exponent", start)
	}
	for ; frac < maxFraction; frac++ {
		fp *= 10
	}
	v := ip*Scale + fp
	if neg {
		v = -v
	}
	return v, i, nil
}

func isCommand(c byte) bool {
	switch c {
	case 'M', 'm', 'L', 'l', 'H', 'h', 'V', 'v', 'C', 'c', 'S', 's', 'Z', 'z':
		return true
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// parsePathData parses d strictly, converting it to tracecore's form and
// checking every point lies within [-vw, 2vw] × [-vh, 2vh]: tracecore's
// points lie within the bitmap, give or take a pixel, and the bound keeps
// Rasterize's work proportional to its canvas.
func parsePathData(d string, vw, vh int) (PathData, error) {
	var pd PathData
	minX, maxX := -int64(vw)*Scale, 2*int64(vw)*Scale
	minY, maxY := -int64(vh)*Scale, 2*int64(vh)*Scale
	var (
		cmd            byte // the command letter in force, for implicit repetition
		started, open  bool
		afterArgs      bool
		cx, cy, sx, sy int64
		args           [6]int64
		abs            [6]int64
		first          = true
	)
	i := skipSpace(d, 0)
	if i == len(d) {
		return pd, fmt.Errorf("empty")
	}
	for {
		i = skipSpace(d, i)
		if i == len(d) {
			break
		}
		c := d[i]
		var op byte
		switch {
		case isLetter(c):
			if !isCommand(c) {
				return pd, fmt.Errorf("command %s at offset %d is not allowed (only M L H V C S Z, either case)", strconv.QuoteRune(rune(c)), i)
			}
			cmd, op = c, c
			i = skipSpace(d, i+1)
		default:
			if c == ',' {
				if !afterArgs {
					return pd, fmt.Errorf("stray comma at offset %d", i)
				}
				i = skipSpace(d, i+1)
				if i == len(d) || isLetter(d[i]) {
					return pd, fmt.Errorf("stray comma before offset %d", i)
				}
			}
			switch cmd {
			case 0:
				return pd, fmt.Errorf("expected M or m at offset %d", i)
			case 'Z', 'z':
				return pd, fmt.Errorf("number after z at offset %d", i)
			case 'M':
				cmd = 'L'
			case 'm':
				cmd = 'l'
			}
			op = cmd
		}
		moveto := op == 'M' || op == 'm'
		switch {
		case !started && !moveto:
			return pd, fmt.Errorf("expected M or m at offset %d", i)
		case started && !open && !moveto:
			return pd, fmt.Errorf("command %c at offset %d after z: a subpath must start with M or m", op, i)
		case open && moveto:
			return pd, fmt.Errorf("subpath not closed with z before offset %d", i)
		}
		n := 0
		switch op {
		case 'H', 'h', 'V', 'v':
			n = 1
		case 'M', 'm', 'L', 'l':
			n = 2
		case 'S', 's':
			n = 4
		case 'C', 'c':
			n = 6
		}
		for k := range n {
			if k > 0 {
				i = skipCommaSpace(d, i)
			}
			v, next, err := parseNumber(d, i)
			if err != nil {
				return pd, err
			}
			if v < -3*maxDimension*Scale || v > 3*maxDimension*Scale {
				return pd, fmt.Errorf("number at offset %d is out of range", i)
			}
			args[k], i = v, next
		}
		afterArgs = n > 0
		// Absolute coordinates of the command's points.
		relative := op >= 'a'
		switch op {
		case 'H', 'h':
			abs[0], abs[1] = args[0], cy
			if relative {
				abs[0] += cx
			}
			n = 2
		case 'V', 'v':
			abs[0], abs[1] = cx, args[0]
			if relative {
				abs[1] += cy
			}
			n = 2
		case 'm':
			if !started { // a leading m is absolute
				relative = false
			}
			fallthrough
		default:
			for k := 0; k < n; k += 2 {
				abs[k], abs[k+1] = args[k], args[k+1]
				if relative {
					abs[k] += cx
					abs[k+1] += cy
				}
			}
		}
		for k := 0; k < n; k += 2 {
			if x, y := abs[k], abs[k+1]; x < minX || x > maxX || y < minY || y > maxY {
				return pd, fmt.Errorf("point before offset %d lies outside [-%d, %d] × [-%d, %d]", i, vw, 2*vw, vh, 2*vh)
			}
		}
		switch op {
		case 'M', 'm':
			if first {
				pd.Ops = append(pd.Ops, 'M')
				pd.Args = append(pd.Args, abs[0], abs[1])
				first = false
			} else {
				pd.Ops = append(pd.Ops, 'm')
				pd.Args = append(pd.Args, abs[0]-cx, abs[1]-cy)
			}
			started, open = true, true
			sx, sy = abs[0], abs[1]
		case 'Z', 'z':
			pd.Ops = append(pd.Ops, 'z')
			abs[0], abs[1], n = sx, sy, 2
			open = false
		case 'H', 'h':
			pd.Ops = append(pd.Ops, 'h')
			pd.Args = append(pd.Args, abs[0]-cx)
		case 'V', 'v':
			pd.Ops = append(pd.Ops, 'v')
			pd.Args = append(pd.Args, abs[1]-cy)
		default:
			pd.Ops = append(pd.Ops, op|0x20) // lower case: relative
			for k := 0; k < n; k += 2 {
				pd.Args = append(pd.Args, abs[k]-cx, abs[k+1]-cy)
			}
		}
		cx, cy = abs[n-2], abs[n-1]
	}
	if open {
		return pd, fmt.Errorf("last subpath not closed with z")
	}
	return pd, nil
}

// appendPathData writes d as tracecore does, with tracecore's own path data
// writer (tracecore.PathData) at the precision of Scale, so the two agree
// byte for byte.
func appendPathData(dst []byte, d PathData) []byte {
	w := tracecore.NewPathData(dst, maxFraction)
	for c := range d.Commands() {
		w.Command(c.Op)
		for _, v := range c.Args {
			w.Num(v)
		}
	}
	return w.Buf
}
