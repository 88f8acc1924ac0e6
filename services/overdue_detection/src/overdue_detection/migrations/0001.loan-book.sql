-- The loan book as overdue-detection keeps it: loans, their schedules, the payments applied.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE loans (
    loan_id          uuid    PRIMARY KEY,
    borrower_id      text    NOT NULL,
    currency         text    NOT NULL,
    principal        numeric NOT NULL,
    contract_rate    numeric NOT NULL,
    overdue_rate     numeric NOT NULL,
    allocation_order text    NOT NULL,
    contact          jsonb   NOT NULL,
    booked_on        date    NOT NULL,
    status           text    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    under_plan       boolean NOT NULL DEFAULT false,
    credit           numeric NOT NULL DEFAULT 0 CHECK (credit >= 0),
    episode          integer NOT NULL DEFAULT 0,
    overdue_since    date,
    bucket           text    NOT NULL DEFAULT 'current'
);

CREATE TABLE installments (
    loan_id        uuid    NOT NULL REFERENCES loans,
    sequence       integer NOT NULL,
    due_date       date    NOT NULL,
    principal      numeric NOT NULL,
    interest       numeric NOT NULL,
    fee            numeric NOT NULL,
    paid_principal numeric NOT NULL DEFAULT 0,
    paid_interest  numeric NOT NULL DEFAULT 0,
    paid_fee       numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (loan_id, sequence),
    CHECK (paid_principal BETWEEN 0 AND principal),
    CHECK (paid_interest BETWEEN 0 AND interest),
    CHECK (paid_fee BETWEEN 0 AND fee)
);
CREATE INDEX installments_unpaid_by_due_date ON installments (due_date)
    WHERE paid_principal + paid_interest + paid_fee < principal + interest + fee;

CREATE TABLE repayments (
    payment_id  text        PRIMARY KEY,
    loan_id     uuid        NOT NULL REFERENCES loans,
    amount      numeric     NOT NULL CHECK (amount > 0),
    value_date  date        NOT NULL,
    received_at timestamptz NOT NULL,
    to_credit   numeric     NOT NULL DEFAULT 0
);

CREATE TABLE business_days (
    business_date date        PRIMARY KEY,
    closed_at     timestamptz NOT NULL
);
