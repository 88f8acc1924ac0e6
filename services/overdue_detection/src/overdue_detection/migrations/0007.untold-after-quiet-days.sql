-- Days settled quietly (DESIGN.md §6: the dates of a catch-up before its latest, the days a
-- business calendar skips) tell borrowers nothing; what they decided worth telling is kept here
-- until the next close told, which tells it with its own figures (domain/episodes.py Untold).
-- depends: 0006.activations-after-an-end-not-yet-read 0001.runtime-business-calendar

ALTER TABLE loans
    ADD COLUMN untold_kind            text CHECK (untold_kind IN ('start', 'change', 'cure')),
    ADD COLUMN untold_reasons         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN untold_previous_bucket text,
    ADD COLUMN untold_cure_reason     text;

-- The last close told: pre-due reminders whose day fell on a day settled quietly since are sent
-- at the next close told, if the installment is still ahead.
CREATE TABLE told_closes (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    business_date date    NOT NULL
);
-- A book closed before this migration told its last close.
INSERT INTO told_closes (business_date) SELECT max(business_date) FROM business_calendar HAVING max(business_date) IS NOT NULL;
