package tracecore

import "math"

// Floating-point helpers for the stages after the polygon.
//
// Every product that is added to something is wrapped in an explicit float64
// conversion. The Go spec lets a compiler fuse x*y+z into one rounding (amd64
// does at GOAMD64=v3, arm64 always; wasm never does), and an explicit
// conversion forbids that, so native and wasm builds compute bit-identical
// coordinates. Only +, -, *, / and math.Sqrt reach the output: they are
// correctly rounded everywhere, unlike math.Exp, Log, Pow or Hypot.

func sub(a, b Point) Point { return Point{a.X - b.X, a.Y - b.Y} }

func mid(a, b Point) Point { return Point{(a.X + b.X) * 0.5, (a.Y + b.Y) * 0.5} }

// lerp returns a + t·(b - a).
func lerp(a, b Point, t float64) Point {
	return Point{a.X + float64(t*(b.X-a.X)), a.Y + float64(t*(b.Y-a.Y))}
}

func cross(a, b Point) float64 { return float64(a.X*b.Y) - float64(a.Y*b.X) }

func dot(a, b Point) float64 { return float64(a.X*b.X) + float64(a.Y*b.Y) }

func norm(a Point) float64 { return math.Sqrt(dot(a, a)) }

// bezier evaluates the cubic Bézier p0, p1, p2, p3 at t.
func bezier(p0, p1, p2, p3 Point, t float64) Point {
	s := 1 - t
	w0 := float64(float64(s*s) * s)
	w1 := float64(float64(3*s) * float64(s*t))
	w2 := float64(float64(3*s) * float64(t*t))
	w3 := float64(float64(t*t) * t)
	return Point{
		float64(w0*p0.X) + float64(w1*p1.X) + float64(w2*p2.X) + float64(w3*p3.X),
		float64(w0*p0.Y) + float64(w1*p1.Y) + float64(w2*p2.Y) + float64(w3*p3.Y),
	}
}

// tangentParam returns the smallest t in [0, 1] at which the Bézier p0, p1, p2, p3 has a
// tangent parallel to d, and false if there is none. cross(B'(t), d) = 0 is
// the quadratic (A - 2B + C)t² + 2(B - A)t + A = 0 with A = cross(p1-p0, d),
// B = cross(p2-p1, d), C = cross(p3-p2, d). When the t² coefficient is exactly
// zero (as on every mirror-symmetric run) the equation is linear.
func tangentParam(p0, p1, p2, p3, d Point) (float64, bool) {
	A := cross(sub(p1, p0), d)
	B := cross(sub(p2, p1), d)
	C := cross(sub(p3, p2), d)
	a := A - 2*B + C
	b := 2 * (B - A)
	c := A
	if a == 0 {
		if b == 0 {
			return 0, false
		}
		t := -c / b
		return t, t >= 0 && t <= 1
	}
	disc := float64(b*b) - float64(float64(4*a)*c)
	if disc < 0 {
		return 0, false
	}
	// The roots as q/a and c/q with q = -(b + sign(b)·√disc)/2: the textbook
	// (-b ± √disc)/2a cancels catastrophically when a is tiny, as it is on a
	// run whose symmetry only rounding breaks (TestGeom/TangentParamNearlySymmetric).
	sq := math.Sqrt(disc)
	if b < 0 {
		sq = -sq
	}
	q := -(b + sq) * 0.5
	t1, t2 := q/a, 2.0 // t2 stays out of [0, 1] when q is 0
	if q != 0 {
		t2 = c / q
	}
	if t1 > t2 {
		t1, t2 = t2, t1
	}
	if t1 >= 0 && t1 <= 1 {
		return t1, true
	}
	if t2 >= 0 && t2 <= 1 {
		return t2, true
	}
	return 0, false
}
