-- Plans as notification follows them, one row a plan: started (PlanActivated, plans.offers.v1),
-- ended (PlanBroken or PlanCompleted, plans.tracking.v1), and the due date of its oldest missed
-- installment (a broken-plan message states the days overdue). A row a plan, flags set by each
-- event, so that the order the two topics are read in does not matter.
-- depends: 0003.push-tokens

DROP TABLE plans;

CREATE TABLE plan_states (
    plan_id           uuid    PRIMARY KEY,
    loan_id           uuid    NOT NULL,
    started           boolean NOT NULL DEFAULT false,
    ended             boolean NOT NULL DEFAULT false,
    oldest_missed_due date
);
CREATE INDEX plan_states_by_loan ON plan_states (loan_id) WHERE started AND NOT ended;
