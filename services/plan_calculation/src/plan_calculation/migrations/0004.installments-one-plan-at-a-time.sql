-- What a plan takes over of the loan's own installments and one plan at a time (DESIGN.md §3a).
-- The projection keeps each unpaid installment (sequence, due date, what is owed on it) and an
-- offer keeps them as they were at its basis date, since the projection moves on before the
-- borrower accepts. Plans end (broken, completed, or the loan closed); closures and the latest
-- cure are kept to refuse a plan on a loan that no longer needs one.
-- depends: 0003.positions-and-compact-offers

-- Filled by the loan's next overdue status; empty until then.
ALTER TABLE loan_projections
    ADD COLUMN installment_sequences integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN installment_due_dates date[]    NOT NULL DEFAULT '{}',
    ADD COLUMN installment_owed      numeric[] NOT NULL DEFAULT '{}',
    ADD COLUMN cured_on              date;

UPDATE loan_projections SET cured_on = business_date WHERE NOT overdue;

-- Offers made before this migration activate without naming the installments they take over.
ALTER TABLE offers
    ADD COLUMN installment_sequences integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN installment_due_dates date[]    NOT NULL DEFAULT '{}',
    ADD COLUMN installment_owed      numeric[] NOT NULL DEFAULT '{}';

ALTER TABLE plans
    ADD COLUMN status   text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'broken', 'completed', 'closed', 'superseded')),
    ADD COLUMN ended_on date;

-- Before this migration a loan could get a second plan: the newest stays the loan's plan, the
-- older ones are superseded by it. (Plans that broke or completed meanwhile are marked so when
-- plans.tracking.v1 is read from its beginning by this service's new subscription.)
UPDATE plans SET status = 'superseded'
WHERE EXISTS (
    SELECT 1 FROM plans AS later
    WHERE later.loan_id = plans.loan_id
      AND (later.activated_on, later.plan_id) > (plans.activated_on, plans.plan_id)
);

-- The use case refuses a second plan with PlanRejected; this only makes sure no code path can.
CREATE UNIQUE INDEX plans_one_active_per_loan ON plans (loan_id) WHERE status = 'active';

CREATE TABLE loan_closures (
    loan_id   uuid PRIMARY KEY,
    closed_on date NOT NULL,
    reason    text NOT NULL
);
