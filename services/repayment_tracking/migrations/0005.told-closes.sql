-- The last close told (DESIGN.md §6): a plan month whose reminder day fell on a date settled
-- quietly since (a catch-up's dates before its latest) is reminded at the next close told, if it
-- is still ahead.
-- depends: 0004.plan-months-of-nothing

CREATE TABLE told_closes (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    business_date date    NOT NULL
);
