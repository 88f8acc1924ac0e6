-- When a change code was asked for each loan (issue 21, security review): intake asks for no more
-- in any 24 hours than notification sends (tideover_contracts.policy CHANGE_CODES_A_DAY), counted
-- in the same sliding window notification counts in (adapters/borrower_changes.py). Kept a day.
-- depends: 0008.borrower-changes

CREATE TABLE borrower_code_requests (
    loan_id  uuid        NOT NULL,
    asked_at timestamptz NOT NULL
);
CREATE INDEX borrower_code_requests_by_loan ON borrower_code_requests (loan_id, asked_at);
CREATE INDEX borrower_code_requests_by_time ON borrower_code_requests (asked_at);
