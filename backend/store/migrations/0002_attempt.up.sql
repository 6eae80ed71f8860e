-- 0002: a fencing token for trace results.

-- River has no fencing token: a worker whose claim expired (stopped past its
-- lease, then resumed) still runs, while the rescued job runs again
-- elsewhere. Each run takes the next attempt number for its image
-- (ClaimAttempt), and a result is written only while its attempt is still
-- the image's current one, so the stale run cannot overwrite the newer
-- result. No CHECK on the column: SQLite cannot DROP a column a constraint
-- names, and the down migration must drop it.
ALTER TABLE images ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
