-- Closed loans (LoanClosed, loans.lifecycle.v1): nothing that presses for payment is sent for
-- them any more, and a cure by closure is confirmed only for some reasons (contact rule
-- loan_closed). The ledger's status after a plan broke (OverdueStatusChanged with reason
-- plan_broken, overdue.status.v1), keyed by the PlanBroken it was caused by: the broken-plan
-- message states its days past due and overdue total (DESIGN.md §3a), not a count of our own.
-- A message that waits for one of these facts from another topic is 'waiting': it is decided
-- when the fact arrives, whichever of the two topics is read first.
-- depends: 0004.plan-missed-dues

CREATE TABLE loan_closures (
    loan_id   uuid PRIMARY KEY,
    reason    text NOT NULL,
    closed_on date NOT NULL
);

-- The PlanBroken event (envelope id) that ended the plan: the ledger's status names it as its cause.
ALTER TABLE plan_states ADD COLUMN broken_by uuid;
ALTER TABLE plan_states DROP COLUMN oldest_missed_due;
CREATE INDEX plan_states_by_break ON plan_states (broken_by) WHERE broken_by IS NOT NULL;

CREATE TABLE ledger_after_breaks (
    broken_by     uuid    PRIMARY KEY,
    loan_id       uuid    NOT NULL,
    as_of         date    NOT NULL,
    days_past_due integer NOT NULL,
    overdue_total numeric NOT NULL,
    currency      text    NOT NULL
);

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('waiting', 'held', 'sent', 'suppressed'));
CREATE INDEX messages_waiting_by_loan ON messages (loan_id) WHERE status = 'waiting';
