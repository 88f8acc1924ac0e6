-- Messages as decided (held until an instant, sent, or suppressed), made from the event they
-- tell of, so that a held or failed message is rendered again for its time and channel. The
-- contact log becomes one row per decision and per channel tried.
-- depends: 0001.contacts-and-messages

CREATE TABLE messages (
    notification_id uuid        PRIMARY KEY,
    loan_id         uuid        NOT NULL,
    purpose         text        NOT NULL,
    source_type     text        NOT NULL,
    source          jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text        NOT NULL CHECK (status IN ('held', 'sent', 'suppressed')),
    hold_until      timestamptz,
    channel         text,
    failed_channels text[]      NOT NULL DEFAULT '{}',
    sent_at         timestamptz
);
CREATE INDEX messages_held_by_time ON messages (hold_until) WHERE status = 'held';
CREATE INDEX messages_sent_by_loan ON messages (loan_id, sent_at) WHERE status = 'sent';

-- Whether a plan is active on the loan: collection messages stop while it is.
CREATE TABLE plans (
    loan_id uuid    PRIMARY KEY,
    active  boolean NOT NULL
);

-- The last telephone conversation on the loan (a voice call delivered): US rules wait a week.
CREATE TABLE conversations (
    loan_id uuid        PRIMARY KEY,
    last_at timestamptz NOT NULL
);

ALTER TABLE contact_log DROP CONSTRAINT contact_log_pkey;
ALTER TABLE contact_log
    ADD COLUMN id         bigserial PRIMARY KEY,
    ADD COLUMN hold_until timestamptz,
    ADD COLUMN template   text,
    ADD COLUMN subject    text;
CREATE INDEX contact_log_by_notification ON contact_log (notification_id, channel);
