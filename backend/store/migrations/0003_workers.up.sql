-- 0003: trace statistics, and the worker processes' leases.

-- The JSON stats of the stored trace (tracecore.Report without the SVG and
-- data URI): sizes, paths, threshold, stage timings. NULL until traced.
ALTER TABLE images ADD COLUMN stats TEXT;

-- One row per live `svgtrace worker` process. River's rescuer runs every 30 s
-- and has no heartbeat, so a dead or stopped worker's running jobs would wait
-- for RescueStuckJobsAfter. Instead each worker renews heartbeat_at every few
-- seconds; a running job whose worker has no fresh heartbeat (or no row) is
-- lost, and the sweeper (backend/queue) cancels it and queues a replacement
-- in one transaction. The id is the worker's River client ID, the value River
-- appends to river_job.attempted_by when the worker claims a job.
CREATE TABLE workers (
    id           TEXT    PRIMARY KEY NOT NULL,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    -- Unix milliseconds.
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
) STRICT;
