// Package queue is svgtrace's durable trace queue: River jobs on the same
// libSQL database as the images, worked by `svgtrace worker` processes.
//
// # Guarantees
//
// One job per image. Enqueue inserts the trace job through the caller's
// transaction (River's InsertTx), the one that inserts the image, so an image
// never exists without its job nor a job without its image.
//
// A result is written once, by the current attempt. Each run claims the
// image's next attempt number (store.ClaimAttempt) and writes its result, the
// "stored" progress event, the "traced" event and the River job's completion
// (JobCompleteTx) in one transaction, fenced on that number. A run whose
// claim was taken over writes nothing (store.ErrStaleAttempt).
//
// Lost workers are noticed within a lease, not River's hour. Every worker
// process registers in the workers table and renews its heartbeat every
// HeartbeatInterval. A running job whose worker has no heartbeat fresher
// than Lease (killed, stopped, partitioned), or whose worker is known dead
// (its supervisor saw it exit and removed its row), is lost: Sweep cancels
// that job row, advances the image's attempt (fencing the lost run off at
// once, should it ever resume) and inserts a replacement job, all in one
// transaction. The lost run's River client, if it resumes, finds its row no
// longer running and changes nothing. A job lost MaxLost times (a trace that
// kills its process every time) fails the image instead of looping.
// River's own rescuer stays as a backstop at RescueStuckJobsAfter.
//
// Errors. A permanent error (a corrupt or unsupported image, options the
// image cannot be traced with, the original missing) fails the image at once
// with the reason, and the job is cancelled. Other errors (the database busy,
// the original's server unreachable) are retried with River's backoff; the
// last attempt's error fails the image, so no image stays queued forever.
package queue
