-- Penalty interest per installment, pauses under repayment plans, and what was last reported.
-- depends: 0002.business-days-move-to-runtime

ALTER TABLE installments
    ADD COLUMN paid_penalty    numeric NOT NULL DEFAULT 0 CHECK (paid_penalty >= 0),
    -- Σ unpaid base × penalty rate × days; penalty charged = round(basis / day_count, 2)
    ADD COLUMN penalty_basis   numeric NOT NULL DEFAULT 0 CHECK (penalty_basis >= 0),
    ADD COLUMN accrued_through date,
    ADD COLUMN settled         boolean NOT NULL DEFAULT false;

ALTER TABLE loans
    ADD COLUMN jurisdiction     text    NOT NULL DEFAULT 'CN',
    ADD COLUMN cap_rate         numeric,                   -- the jurisdiction's cap when booked, if any
    ADD COLUMN penalty_rate     numeric NOT NULL DEFAULT 0, -- overdue rate, lowered where the cap binds
    ADD COLUMN cap_binds        boolean NOT NULL DEFAULT false,
    ADD COLUMN day_count        integer NOT NULL DEFAULT 365,
    ADD COLUMN last_reported_on date,
    ADD COLUMN paused_days      integer NOT NULL DEFAULT 0;

-- A plan pauses the delinquency clock: no penalty for days in (start_date, end_date].
CREATE TABLE pauses (
    loan_id    uuid NOT NULL REFERENCES loans,
    start_date date NOT NULL,
    end_date   date,
    PRIMARY KEY (loan_id, start_date)
);

-- Installments that accrue penalty at the next close: unpaid principal or interest, not settled.
CREATE INDEX installments_accruing ON installments (due_date)
    WHERE NOT settled AND paid_principal + paid_interest < principal + interest;
