-- 0002 down: drop the fencing column.
ALTER TABLE images DROP COLUMN attempt;
