-- Borrower contact data (event-carried from loans.lifecycle.v1) and every contact decision.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE contacts (
    loan_id            uuid    PRIMARY KEY,
    borrower_id        text    NOT NULL,
    name               text    NOT NULL,
    phone              text    NOT NULL,
    email              text,
    locale             text    NOT NULL,
    time_zone          text    NOT NULL,
    jurisdiction       text    NOT NULL,
    preferred_channels text[]  NOT NULL,
    opted_out_channels text[]  NOT NULL DEFAULT '{}',
    do_not_contact     boolean NOT NULL DEFAULT false
);

CREATE TABLE contact_log (
    notification_id uuid        PRIMARY KEY,
    loan_id         uuid        NOT NULL,
    purpose         text        NOT NULL,
    channel         text        NOT NULL,
    decision        text        NOT NULL CHECK (decision IN ('sent', 'held', 'suppressed')),
    rule            text,
    body            text,
    decided_at      timestamptz NOT NULL,
    receipt         text CHECK (receipt IN ('delivered', 'failed')),
    receipt_reason  text,
    receipt_at      timestamptz
);
CREATE INDEX contact_log_by_loan ON contact_log (loan_id, decided_at);
