-- The last close told (DESIGN.md §6): a plan month whose reminder day fell on a date settled
-- quietly since (a catch-up's dates before its latest) is reminded at the next close told, if it
-- is still ahead.
-- depends: 0004.plan-months-of-nothing 0001.runtime-business-calendar

CREATE TABLE told_closes (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    business_date date    NOT NULL
);
-- A book closed before this migration told its last close.
INSERT INTO told_closes (business_date) SELECT max(business_date) FROM business_calendar HAVING max(business_date) IS NOT NULL;
