-- How the borrower chose on their page to be contacted (ContactPreferencesChosen, issue 21, How we
-- contact you): the channels in their order, the channels they opted out of (beside upstream's,
-- contacts.opted_out_channels, which this never changes) and the hours they prefer, local time
-- (NULL: any time the law allows). One row a loan: the latest choice (by chosen_at) stands, so a
-- redelivered or older event changes nothing. The contact rules read it with the contact
-- (domain/contact_rules.py).
-- depends: 0009.written-plan-codes-forgotten-at-expiry

CREATE TABLE page_preferences (
    loan_id uuid PRIMARY KEY,
    change_id uuid NOT NULL,
    preferred_channels text[] NOT NULL,
    opted_out_channels text[] NOT NULL,
    hours_start time,
    hours_end time,
    chosen_at timestamptz NOT NULL,
    CHECK ((hours_start IS NULL) = (hours_end IS NULL) AND (hours_start IS NULL OR hours_start < hours_end))
);
