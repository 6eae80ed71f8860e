package main

import (
	"bufio"
	"strconv"
	"strings"
)

// A BenchLine is one result line of `go test -bench` output.
type BenchLine struct {
	// Name is the benchmark's full name without the -GOMAXPROCS suffix:
	// "BenchmarkTrace/picos_400".
	Name        string
	N           int64
	NsPerOp     float64
	MBPerS      float64 // 0 when not reported
	BytesPerOp  float64 // -1 when not reported
	AllocsPerOp float64 // -1 when not reported
	// Metrics holds the values of other units, reported with
	// b.ReportMetric: "cancel-ms".
	Metrics map[string]float64
}

// parseBench reads the result lines of `go test -bench` output (the test
// binary's own or go test's), ignoring everything else: headers, PASS, ok,
// log output. A result line is a name starting with "Benchmark", an iteration
// count, then value-unit pairs. The "-N" GOMAXPROCS suffix go test adds when
// GOMAXPROCS > 1 is removed, so native and js/wasm names match; benchmark
// names must therefore not end in "-digits" themselves.
func parseBench(out string) []BenchLine {
	var res []BenchLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		l := BenchLine{Name: trimProcs(f[0]), N: n, BytesPerOp: -1, AllocsPerOp: -1}
		ok := false
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				l.NsPerOp, ok = v, true
			case "MB/s":
				l.MBPerS = v
			case "B/op":
				l.BytesPerOp = v
			case "allocs/op":
				l.AllocsPerOp = v
			default:
				if l.Metrics == nil {
					l.Metrics = map[string]float64{}
				}
				l.Metrics[f[i+1]] = v
			}
		}
		if ok {
			res = append(res, l)
		}
	}
	return res
}

// trimProcs removes a trailing "-N" (N decimal digits) from a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}
