-- Days settled quietly (DESIGN.md §6: the dates of a catch-up before its latest, the days a
-- business calendar skips) tell borrowers nothing; what they decided worth telling is kept here
-- until the next close told, which tells it with its own figures (domain/episodes.py Untold).
-- depends: 0006.activations-after-an-end-not-yet-read

ALTER TABLE loans
    ADD COLUMN untold_kind            text CHECK (untold_kind IN ('start', 'change', 'cure')),
    ADD COLUMN untold_reasons         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN untold_previous_bucket text,
    ADD COLUMN untold_cure_reason     text;

