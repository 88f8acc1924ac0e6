-- The changes a borrower makes on their page, waiting for the one-time code sent to the phone on
-- file (issue 21; domain/borrower_changes.py). Bound to the session that made them (the SHA-256
-- of its token, as borrower_sessions keeps it); the code only as its HMAC with the server's code
-- secret; the files sent with a change kept beside it until it is applied, then deleted (the
-- application's evidence holds them from then on).
-- depends: 0007.borrower-sessions

CREATE TABLE borrower_changes (
    change_id       uuid        PRIMARY KEY,
    loan_id         uuid        NOT NULL,
    borrower_id     text        NOT NULL,
    session_key     text        NOT NULL,
    kind            text        NOT NULL,
    details         jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied')),
    code_hash       text,
    code_expires_at timestamptz,
    code_tries      integer     NOT NULL DEFAULT 0,
    result_id       uuid,
    created_at      timestamptz NOT NULL
);
CREATE INDEX borrower_changes_by_session ON borrower_changes (loan_id, session_key, created_at);

CREATE TABLE borrower_change_files (
    change_id uuid    NOT NULL REFERENCES borrower_changes (change_id) ON DELETE CASCADE,
    position  integer NOT NULL,
    filename  text    NOT NULL,
    kind      text    NOT NULL,
    content   bytea   NOT NULL,
    PRIMARY KEY (change_id, position)
);
