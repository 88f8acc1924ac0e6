-- Each plan of a loan as plan calculation and repayment tracking announced it, so that a new
-- application is refused while one is in force (DESIGN.md §3a, one at a time). The activation
-- and the end of a plan come on two topics read independently: an ended plan stays ended
-- whichever arrives first.
-- depends: 0002.keys-evidence-approval-audit

CREATE TABLE plans (
    plan_id uuid PRIMARY KEY,
    loan_id uuid NOT NULL,
    status  text NOT NULL CHECK (status IN ('active', 'completed', 'broken'))
);
CREATE INDEX plans_in_force_by_loan ON plans (loan_id) WHERE status = 'active';

INSERT INTO plans (plan_id, loan_id, status)
SELECT plan_id, loan_id, plan_status FROM loan_views WHERE plan_id IS NOT NULL AND plan_status IS NOT NULL;
