-- The last close told (DESIGN.md §6): days settled quietly since (a catch-up's dates before its
-- latest, the days a business calendar skips) told nothing; what fell due to be told on them
-- (a reminder whose day passed) is told at the next close told (clock.py `tell_close`).
-- depends: 0001.runtime-business-calendar

CREATE TABLE IF NOT EXISTS told_closes (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    business_date date    NOT NULL
);
-- A book closed before this migration told its last close.
INSERT INTO told_closes (business_date)
SELECT max(business_date) FROM business_calendar HAVING max(business_date) IS NOT NULL
ON CONFLICT DO NOTHING;
