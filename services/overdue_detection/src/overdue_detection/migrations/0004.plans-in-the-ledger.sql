-- A plan's meaning in the loan's ledger (DESIGN.md §3a): its lines are obligations of the ledger;
-- the installments it re-dates or replaces are `rescheduled` by component (never settled); waivers
-- and write-offs are recorded amounts. Per line and component:
--   charged = paid + waived + written off + rescheduled + outstanding
-- where the penalty charged is round(penalty_basis / day_count, 2).
-- depends: 0003.penalty-and-episodes

CREATE TABLE plans (
    plan_id      uuid    PRIMARY KEY,
    loan_id      uuid    NOT NULL REFERENCES loans,
    ordinal      integer NOT NULL,              -- 1, 2, ... per loan, in activation order
    effect       text    NOT NULL CHECK (effect IN ('arrears', 'reschedule')),
    basis_date   date    NOT NULL,
    activated_on date    NOT NULL,
    ended_on     date,
    outcome      text    NOT NULL DEFAULT 'active' CHECK (outcome IN ('active', 'completed', 'broken', 'closed')),
    waiver       jsonb   NOT NULL,              -- {"penalty": "..", "interest": "..", "fee": ".."}
    lines        jsonb   NOT NULL,              -- [{"sequence", "due_date", "principal", "interest", "fee", "penalty"}]
    UNIQUE (loan_id, ordinal)
);
-- One active plan per loan (DESIGN.md §3a, one at a time).
CREATE UNIQUE INDEX one_active_plan_per_loan ON plans (loan_id) WHERE outcome = 'active';

-- A plan's lines live beside the installments: sequence = 1000 × the plan's ordinal + its own sequence.
ALTER TABLE installments
    ADD COLUMN plan_id               uuid REFERENCES plans,
    ADD COLUMN plan_sequence         integer,
    ADD COLUMN rescheduled_by        uuid,      -- the plan that re-dated or replaced what was left of it
    ADD COLUMN waived_penalty        numeric NOT NULL DEFAULT 0 CHECK (waived_penalty >= 0),
    ADD COLUMN waived_interest       numeric NOT NULL DEFAULT 0 CHECK (waived_interest >= 0),
    ADD COLUMN waived_fee            numeric NOT NULL DEFAULT 0 CHECK (waived_fee >= 0),
    ADD COLUMN rescheduled_principal numeric NOT NULL DEFAULT 0 CHECK (rescheduled_principal >= 0),
    ADD COLUMN rescheduled_interest  numeric NOT NULL DEFAULT 0 CHECK (rescheduled_interest >= 0),
    ADD COLUMN rescheduled_fee       numeric NOT NULL DEFAULT 0 CHECK (rescheduled_fee >= 0),
    ADD COLUMN rescheduled_penalty   numeric NOT NULL DEFAULT 0 CHECK (rescheduled_penalty >= 0),
    ADD COLUMN written_off_principal numeric NOT NULL DEFAULT 0 CHECK (written_off_principal >= 0),
    ADD COLUMN written_off_interest  numeric NOT NULL DEFAULT 0 CHECK (written_off_interest >= 0),
    ADD COLUMN written_off_fee       numeric NOT NULL DEFAULT 0 CHECK (written_off_fee >= 0),
    ADD COLUMN written_off_penalty   numeric NOT NULL DEFAULT 0 CHECK (written_off_penalty >= 0);

-- `settled` wiped out what was never paid (issue 15): such installments are owed again, and the
-- column goes; a completed plan settles nothing.
DROP INDEX installments_accruing;
ALTER TABLE installments DROP COLUMN settled;

-- Acts that take something off the ledger other than a payment, as recorded (DESIGN.md §3a).
CREATE TABLE ledger_acts (
    act_id        uuid    PRIMARY KEY,           -- the event id that recorded it
    loan_id       uuid    NOT NULL REFERENCES loans,
    plan_id       uuid,
    kind          text    NOT NULL CHECK (kind IN ('waiver', 'write_off')),
    reason        text    NOT NULL,              -- plan | quote_honoured | de_minimis | loan_closed
    status        text    NOT NULL,              -- conditional | final | reinstated (waivers); final (write-offs)
    business_date date    NOT NULL,
    principal     numeric NOT NULL DEFAULT 0,
    interest      numeric NOT NULL DEFAULT 0,
    fee           numeric NOT NULL DEFAULT 0,
    penalty       numeric NOT NULL DEFAULT 0
);
CREATE INDEX ledger_acts_by_loan ON ledger_acts (loan_id);

-- Installments that accrue penalty at the next close: regular, not rescheduled, principal or interest unpaid.
CREATE INDEX installments_accruing ON installments (due_date)
    WHERE plan_id IS NULL AND rescheduled_by IS NULL AND paid_principal + paid_interest < principal + interest;
