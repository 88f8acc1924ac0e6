-- A plan's end (PlanBroken, PlanCompleted on plans.tracking.v1) may be read before its activation
-- (PlanActivated on plans.offers.v1): its message is kept here until the activation comes, then
-- handled (DESIGN.md §3a: the same events give the same ledger whichever topic is read first).
-- depends: 0004.plans-in-the-ledger

CREATE TABLE plan_ends_waiting (
    plan_id  uuid  PRIMARY KEY,
    loan_id  uuid  NOT NULL,
    envelope jsonb NOT NULL
);
