-- 0001 down: drop what 0001 up created, dependents first.
DROP INDEX events_image;
DROP TABLE events;
DROP INDEX images_newest;
DROP TABLE images;
