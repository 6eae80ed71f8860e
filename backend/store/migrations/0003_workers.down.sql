-- 0003 down: drop the workers table and the stats column.
DROP TABLE workers;
ALTER TABLE images DROP COLUMN stats;
