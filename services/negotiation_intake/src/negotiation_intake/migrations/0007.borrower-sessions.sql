-- The borrowers' sessions (issue 21), kept as the console's are (0004): the cookie holds only a
-- random token, of which only the SHA-256 is stored. Each names the loan and the borrower its
-- signed link was for, and when that link expires by the service's clock (the business clock in a
-- simulation); its own expiry and idle time are the database's clock, never past the link's.
-- depends: 0006.refused-requests

CREATE TABLE borrower_sessions (
    token_sha256    text        PRIMARY KEY,
    loan_id         uuid        NOT NULL,
    borrower_id     text        NOT NULL,
    csrf_token      text        NOT NULL,
    language        text        NOT NULL DEFAULT '',
    link_expires_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX borrower_sessions_by_loan ON borrower_sessions (loan_id);
CREATE INDEX borrower_sessions_by_expiry ON borrower_sessions (expires_at);
