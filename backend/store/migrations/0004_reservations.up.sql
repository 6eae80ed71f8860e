-- 0004: reservations made by the WebSocket hub's plans, and who traced what.

-- A client announces an upload (hub "plan") before sending it; the hub
-- reserves the image's id and says who traces it. The upload then names the
-- id and takes the reservation, in the transaction that inserts the image.
-- A reservation never followed by an upload expires and is deleted
-- (ExpireReservations), leaving nothing behind.
CREATE TABLE reservations (
    image_id      TEXT    PRIMARY KEY NOT NULL,
    -- Random; a client result must name it, so only the client assigned
    -- (which learnt it from the hub) can complete the image.
    assignment_id TEXT    NOT NULL UNIQUE,
    content_hash  TEXT    NOT NULL CHECK (length(content_hash) = 64),
    options_key   TEXT    NOT NULL CHECK (json_valid(options_key)),
    tracer        TEXT    NOT NULL CHECK (tracer IN ('client', 'server')),
    -- Unix milliseconds. deadline: when the backend traces if no client
    -- result came (the trace job's scheduled time); expires_at: when an
    -- unused reservation is deleted.
    deadline      INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    -- Two plans of the same bytes and options share one reservation.
    UNIQUE (content_hash, options_key)
) STRICT;

CREATE INDEX reservations_expiry ON reservations (expires_at);

-- The assignment an image was uploaded under ('' when the server traces it
-- with no client involved), and who traced it: 'client' or 'server'.
ALTER TABLE images ADD COLUMN assignment_id TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN traced_by TEXT NOT NULL DEFAULT '';
