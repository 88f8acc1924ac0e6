-- plan-calculation activates one plan at a time: an activation read while the loan's previous
-- plan is still in force here came after that plan ended, whose end (plans.tracking.v1) is yet to
-- be read. Its message is kept until then (DESIGN.md §3a: same events, same ledger, whichever
-- topic is read first).
-- depends: 0005.plan-ends-before-activations

CREATE TABLE activations_waiting (
    plan_id  uuid  PRIMARY KEY,
    loan_id  uuid  NOT NULL,
    envelope jsonb NOT NULL
);
CREATE INDEX activations_waiting_by_loan ON activations_waiting (loan_id);
