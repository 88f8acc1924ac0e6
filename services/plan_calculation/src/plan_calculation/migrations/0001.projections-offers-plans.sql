-- What plan-calculation knows: each overdue loan's latest status, the offers made, the plans activated.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE loan_projections (
    loan_id       uuid  PRIMARY KEY,
    business_date date  NOT NULL,
    overdue       boolean NOT NULL,
    snapshot      jsonb NOT NULL
);

CREATE TABLE offers (
    offer_id            uuid        PRIMARY KEY,
    application_id      uuid        NOT NULL,
    loan_id             uuid        NOT NULL,
    basis_business_date date        NOT NULL,
    basis_overdue_total numeric     NOT NULL,
    valid_until         timestamptz NOT NULL,
    status              text        NOT NULL CHECK (status IN ('offered', 'accepted', 'expired', 'superseded')),
    offer               jsonb       NOT NULL
);
CREATE INDEX offers_open_by_validity ON offers (valid_until) WHERE status = 'offered';

CREATE TABLE plans (
    plan_id      uuid PRIMARY KEY,
    offer_id     uuid NOT NULL UNIQUE REFERENCES offers,
    loan_id      uuid NOT NULL,
    option_id    text NOT NULL,
    activated_on date NOT NULL
);
