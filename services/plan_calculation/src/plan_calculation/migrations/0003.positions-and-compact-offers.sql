-- A negotiation reads its loan's position: kept in columns, not re-read from the whole status
-- event. Offers (hundreds of schedule lines each) are kept as their JSON text, compressed with
-- lz4, like the outbox rows that carry them.
-- depends: 0002.offer-evidence

ALTER TABLE loan_projections
    ADD COLUMN currency              text,
    ADD COLUMN overdue_principal     numeric,
    ADD COLUMN overdue_interest      numeric,
    ADD COLUMN overdue_fee           numeric,
    ADD COLUMN overdue_penalty       numeric,
    ADD COLUMN outstanding_principal numeric,
    ADD COLUMN contract_rate         numeric,
    ADD COLUMN future_installments   numeric[],
    ADD COLUMN jurisdiction          text;

UPDATE loan_projections SET
    currency              = snapshot -> 'overdue' -> 'total' ->> 'currency',
    overdue_principal     = (snapshot -> 'overdue' -> 'principal' ->> 'amount')::numeric,
    overdue_interest      = (snapshot -> 'overdue' -> 'interest' ->> 'amount')::numeric,
    overdue_fee           = (snapshot -> 'overdue' -> 'fee' ->> 'amount')::numeric,
    overdue_penalty       = (snapshot -> 'overdue' -> 'penalty' ->> 'amount')::numeric,
    outstanding_principal = (snapshot -> 'outstanding_principal' ->> 'amount')::numeric,
    contract_rate         = (snapshot ->> 'contract_rate')::numeric,
    future_installments   = ARRAY(
        SELECT (item -> 'outstanding' ->> 'amount')::numeric
        FROM jsonb_array_elements(snapshot -> 'remaining_schedule') AS item
        WHERE (item -> 'installment' ->> 'due_date')::date > business_date
        ORDER BY (item -> 'installment' ->> 'sequence')::int),
    jurisdiction          = snapshot -> 'contact' ->> 'jurisdiction';

ALTER TABLE loan_projections
    ALTER COLUMN currency SET NOT NULL,
    ALTER COLUMN overdue_principal SET NOT NULL,
    ALTER COLUMN overdue_interest SET NOT NULL,
    ALTER COLUMN overdue_fee SET NOT NULL,
    ALTER COLUMN overdue_penalty SET NOT NULL,
    ALTER COLUMN outstanding_principal SET NOT NULL,
    ALTER COLUMN contract_rate SET NOT NULL,
    ALTER COLUMN future_installments SET NOT NULL,
    ALTER COLUMN jurisdiction SET NOT NULL,
    DROP COLUMN snapshot;

ALTER TABLE offers ALTER COLUMN offer TYPE text USING offer::text;
ALTER TABLE offers ALTER COLUMN offer SET COMPRESSION lz4;
ALTER TABLE outbox ALTER COLUMN value SET COMPRESSION lz4;
