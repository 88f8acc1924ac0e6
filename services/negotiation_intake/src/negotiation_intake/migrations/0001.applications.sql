-- Loans as agents see them, hardship applications, the offers made on them, idempotent POSTs.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE loan_views (
    loan_id       uuid  PRIMARY KEY,
    borrower_id   text  NOT NULL,
    overdue       boolean NOT NULL,
    business_date date  NOT NULL,
    snapshot      jsonb NOT NULL,
    plan_id       uuid,
    plan_status   text
);

CREATE TABLE applications (
    application_id     uuid        PRIMARY KEY,
    loan_id            uuid        NOT NULL,
    borrower_id        text        NOT NULL,
    state              text        NOT NULL,
    reason             text        NOT NULL,
    description        text        NOT NULL,
    monthly_income     numeric     NOT NULL,
    essential_expenses numeric     NOT NULL,
    currency           text        NOT NULL,
    requested_options  text[]      NOT NULL,
    agent_id           text        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            integer     NOT NULL DEFAULT 1,
    offer_id           uuid,
    option_id          text,
    code_hash          text,
    code_expires_at    timestamptz,
    code_tries         integer     NOT NULL DEFAULT 0,
    rejection          jsonb
);
CREATE INDEX applications_by_loan ON applications (loan_id, created_at);

CREATE TABLE offers (
    offer_id       uuid        PRIMARY KEY,
    application_id uuid        NOT NULL REFERENCES applications,
    offer          jsonb       NOT NULL,
    received_at    timestamptz NOT NULL
);

CREATE TABLE idempotency_keys (
    key          text        PRIMARY KEY,
    request_hash text        NOT NULL,
    status       integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
