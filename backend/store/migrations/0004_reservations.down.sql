-- 0004 down: drop the reservations and the columns.
ALTER TABLE images DROP COLUMN traced_by;
ALTER TABLE images DROP COLUMN assignment_id;
DROP INDEX reservations_expiry;
DROP TABLE reservations;
