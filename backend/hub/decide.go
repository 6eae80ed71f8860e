package hub

import "time"

// Policy holds the thresholds of Decide. Every one is configurable
// (svgtrace serve flags, SVGTRACE_ environment).
type Policy struct {
	// ClientMaxBytes and ClientMaxPixels bound what a capable client
	// traces itself: larger files go to the backend, whose workers decode
	// large JPEGs at reduced scale and do not make a phone download and
	// decode 50 megapixels.
	ClientMaxBytes  int64
	ClientMaxPixels int64
	// MaxQueueWait is the estimated wait for a backend trace above which
	// a capable client is asked to trace instead, whatever the file's size.
	MaxQueueWait time.Duration
	// ClientDeadline is how long a client has to send its result before
	// the backend traces (the job's scheduled time).
	ClientDeadline time.Duration
}

// DefaultPolicy is the defaults: capable clients trace files up to
// 4 MB and 12 MP; with no live worker, or an estimated queue wait over 5 s,
// the browser is asked. 30 s for a client result is many times a browser's
// trace of a 12 MP file (decode, downscale to 400 px, trace: well under a
// second on a phone) plus the upload, yet short enough that a client that
// vanished costs the user half a minute at most.
var DefaultPolicy = Policy{
	ClientMaxBytes:  4_000_000,
	ClientMaxPixels: 12_000_000,
	MaxQueueWait:    5 * time.Second,
	ClientDeadline:  30 * time.Second,
}

// Load is the backend's state when a plan arrives.
type Load struct {
	LiveWorkers int
	// QueueDepth is the trace jobs available or running.
	QueueDepth int
	// RecentTrace is a recent backend trace's typical duration (0 when
	// none is known).
	RecentTrace time.Duration
}

// PlanInput is what Decide looks at for one upload.
type PlanInput struct {
	Caps   Capabilities
	Bytes  int64
	Pixels int64
	Load   Load
}

// Decision is who traces, and by when a client must answer.
type Decision struct {
	Tracer string // TracerClient or TracerServer
	// Deadline is the client's time to send its result (TracerClient).
	Deadline time.Duration
	// Reason says why, for logs and tests.
	Reason string
}

// Decide says who traces an upload. It is pure: the same input gives the
// same answer, and it is table-tested.
//
// A client that cannot run the wasm module never traces. Otherwise:
//  1. no live worker: the client (the backend could not trace at all);
//  2. an estimated queue wait over MaxQueueWait: the client;
//  3. a file over ClientMaxBytes or ClientMaxPixels: the backend;
//  4. otherwise the client: it has the pixels decoded already, and its
//     result saves the backend the work.
//
// The queue wait is estimated as the jobs ahead per live worker times the
// recent trace time.
func Decide(in PlanInput, p Policy) Decision {
	if !in.Caps.Wasm {
		return Decision{Tracer: TracerServer, Reason: "the client cannot trace"}
	}
	client := func(reason string) Decision {
		return Decision{Tracer: TracerClient, Deadline: p.ClientDeadline, Reason: reason}
	}
	if in.Load.LiveWorkers <= 0 {
		return client("no live worker")
	}
	if wait := EstimateWait(in.Load); wait > p.MaxQueueWait {
		return client("queue wait " + wait.Round(time.Millisecond).String() + " over " + p.MaxQueueWait.String())
	}
	if in.Bytes > p.ClientMaxBytes {
		return Decision{Tracer: TracerServer, Reason: "file over the client's byte limit"}
	}
	if in.Pixels > p.ClientMaxPixels {
		return Decision{Tracer: TracerServer, Reason: "image over the client's pixel limit"}
	}
	return client("small enough for the client")
}

// EstimateWait is the expected wait for a new backend trace: the jobs ahead
// of it shared among the live workers, each taking the recent trace time.
func EstimateWait(l Load) time.Duration {
	if l.LiveWorkers <= 0 {
		return 0
	}
	rounds := (l.QueueDepth + l.LiveWorkers - 1) / l.LiveWorkers
	return time.Duration(rounds) * l.RecentTrace
}
