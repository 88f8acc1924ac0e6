-- Plans judged from what overdue-detection's ledger reports (DESIGN.md §3a), not from a count of
-- our own: what each payment left on each line a plan month asks for (the plan's own line and, in
-- an arrears plan, the regular installments that stay due in that month). A closed loan ends its plan.
-- depends: 0002.plan-closes

ALTER TABLE plans DROP CONSTRAINT plans_status_check;
ALTER TABLE plans ADD CONSTRAINT plans_status_check CHECK (status IN ('active', 'completed', 'broken', 'closed'));
ALTER TABLE plans
    ADD COLUMN effect     text CHECK (effect IN ('arrears', 'reschedule')),  -- null: taken in before plans named one
    ADD COLUMN basis_date date;

-- plan_installments: plan month `sequence`, and the plan's own line of that month. `left_now`: what
-- the line still owes as the ledger last reported it (by value date, then arrival), or its amount;
-- `paid`: what the ledger reported paid on it (the ledger, not this table, bounds it).
ALTER TABLE plan_installments ADD COLUMN left_now numeric;
UPDATE plan_installments SET left_now = amount - paid;
ALTER TABLE plan_installments ALTER COLUMN left_now SET NOT NULL;
ALTER TABLE plan_installments DROP CONSTRAINT plan_installments_check;

-- The regular installments an arrears plan asks for beside its own, each in the month it falls due in.
CREATE TABLE plan_regular_installments (
    plan_id  uuid    NOT NULL,
    sequence integer NOT NULL,                -- the loan's installment sequence
    month    integer NOT NULL,                -- the plan month it is asked for in
    due_date date    NOT NULL,
    amount   numeric NOT NULL CHECK (amount >= 0),
    left_now numeric NOT NULL,
    paid     numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, sequence),
    FOREIGN KEY (plan_id, month) REFERENCES plan_installments (plan_id, sequence)
);

-- What one payment paid on one line and left on it, as the ledger reported; `arrival` orders the
-- reports of one plan as they came.
CREATE TABLE line_reports (
    plan_id    uuid    NOT NULL REFERENCES plans,
    arrival    integer NOT NULL,
    payment_id text    NOT NULL,
    kind       text    NOT NULL CHECK (kind IN ('plan', 'regular')),
    sequence   integer NOT NULL,
    value_date date    NOT NULL,
    paid       numeric NOT NULL,
    left_after numeric NOT NULL,
    PRIMARY KEY (plan_id, arrival)
);

-- Plans taken in before: the payments our own count applied (oldest installment first, in the
-- order of their value dates) become the reports that count would have made, so those plans are
-- judged as they were.
INSERT INTO line_reports (plan_id, arrival, payment_id, kind, sequence, value_date, paid, left_after)
SELECT plan_id, row_number() OVER (PARTITION BY plan_id ORDER BY value_date, payment_id, sequence),
       payment_id, 'plan', sequence, value_date, filled_after - filled_before, amount - filled_after
FROM (
    SELECT l.plan_id, l.sequence, l.amount, p.payment_id, p.value_date,
           least(greatest(p.through - l.starts, 0), l.amount) AS filled_after,
           least(greatest(p.through - p.amount - l.starts, 0), l.amount) AS filled_before
    FROM (SELECT plan_id, sequence, amount, sum(amount) OVER (PARTITION BY plan_id ORDER BY sequence) - amount AS starts
          FROM plan_installments) AS l
    JOIN (SELECT plan_id, payment_id, value_date, amount,
                 sum(amount) OVER (PARTITION BY plan_id ORDER BY value_date, payment_id) AS through
          FROM plan_payments) AS p USING (plan_id)
) AS fills
WHERE filled_after > filled_before;

-- What is paid beyond the plan is the loan's credit, in the ledger; no longer counted here.
ALTER TABLE plans DROP COLUMN credit;

-- Payments the ledger reported for a plan not taken in yet (its activation comes on another topic
-- and may arrive later); applied when it is.
CREATE TABLE early_payments (
    plan_id    uuid   NOT NULL,
    payment_id text   NOT NULL,
    kept       bigint GENERATED ALWAYS AS IDENTITY,
    payment    jsonb  NOT NULL,
    PRIMARY KEY (plan_id, payment_id)
);
