-- An offer's basis is the business date it is computed on (DESIGN.md §3a). A hardship request
-- for a loan whose last status is older than the current business date waits here until
-- overdue-detection reports the loan's arrears as of today (its OverdueStatusChanged caused by
-- the request), then is offered; a cure or a closure meanwhile refuses it.
-- depends: 0005.quoted-arrears

CREATE TABLE requests_waiting (
    application_id   uuid PRIMARY KEY,
    loan_id          uuid  NOT NULL,
    request_event_id uuid  NOT NULL,
    needed_on        date  NOT NULL,
    request          jsonb NOT NULL
);
CREATE INDEX requests_waiting_by_loan ON requests_waiting (loan_id);
