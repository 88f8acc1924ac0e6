-- Active plans, their installments and the payments applied to them.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE plans (
    plan_id            uuid    PRIMARY KEY,
    loan_id            uuid    NOT NULL,
    currency           text    NOT NULL,
    status             text    NOT NULL CHECK (status IN ('active', 'completed', 'broken')),
    activated_on       date    NOT NULL,
    conditional_waiver jsonb   NOT NULL,
    credit             numeric NOT NULL DEFAULT 0 CHECK (credit >= 0)
);
-- A loan has at most one active plan: that is how payments are routed to a plan.
CREATE UNIQUE INDEX one_active_plan_per_loan ON plans (loan_id) WHERE status = 'active';

CREATE TABLE plan_installments (
    plan_id  uuid    NOT NULL REFERENCES plans,
    sequence integer NOT NULL,
    due_date date    NOT NULL,
    amount   numeric NOT NULL CHECK (amount > 0),
    paid     numeric NOT NULL DEFAULT 0,
    missed   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (plan_id, sequence),
    CHECK (paid BETWEEN 0 AND amount)
);

CREATE TABLE plan_payments (
    payment_id text    PRIMARY KEY,
    plan_id    uuid    NOT NULL REFERENCES plans,
    amount     numeric NOT NULL,
    value_date date    NOT NULL
);
