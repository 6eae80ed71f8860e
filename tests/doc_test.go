// Package tests holds the system tests of the backend: `svgtrace serve`
// started as a real process (built once per run, in TestMain) with real
// worker processes, a real database file under a temporary --data directory,
// and real HTTP over loopback.
//
// Each test starts its own server and stops everything it started (the
// server, its process group, and the workers the database names) when it
// ends; a failing test logs the processes' stderr. What they pin:
//
//   - TestPlaceholders: every test image ends traced, and its placeholder is
//     byte for byte what tracecore produces directly with the image's options.
//   - TestWorkerKilled: a worker SIGKILLed mid-trace costs nothing but time;
//     the job completes exactly once.
//   - TestWorkerStopped: a worker SIGSTOPped past its lease is fenced off; its
//     late result is discarded and the re-run's result stands.
//   - TestConcurrentUploads: 200 uploads from 20 clients make 200 images and
//     200 traces, nothing twice and nothing left over; 20 uploads of the same
//     bytes at once make one image and one job.
//   - TestRestartWithQueuedJobs: jobs queued while no worker runs survive a
//     restart and complete.
//   - TestHostileUploads: malformed, lying, oversized and path-tricking
//     uploads answer their 4xx, leave nothing behind and write nothing
//     outside --data; a JPEG cut after its header is accepted and fails at
//     trace time, once.
//   - TestRemoteDatabase: the same backend on a remote libSQL database over
//     Hrana (the hranapeer test peer, as no sqld can be installed here):
//     supervised workers, and a worker elsewhere that shares nothing with
//     the server but the database URL and fetches originals with the
//     worker token.
//   - TestTwoServersOneDatabase: two servers on one database; a WebSocket
//     client of one sees what is uploaded to the other, and resumes on it
//     from its last event id with nothing missed or repeated.
//   - TestInteropNodeWS: an independent WebSocket client, Node's ws package
//     (pinned in ws-interop/, installed with npm into a cache directory):
//     origins, text frames, ping and pong, errors, close 1009.
//   - TestGracefulShutdown: SIGTERM ends the server with status 0, lets a
//     trace in flight finish, and leaves no worker behind.
//
// The whole package runs in about 35 s on two cores; TestWorkerStopped,
// which waits out the 10 s lease, takes half of it. Waits are bounded and no test asserts a
// duration; recovery times are logged (go test -v).
package tests
