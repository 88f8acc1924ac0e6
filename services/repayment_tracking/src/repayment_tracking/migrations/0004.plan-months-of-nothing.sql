-- A plan month may ask for nothing: a payment holiday's months are 0.00 (DESIGN.md §4, payment
-- holiday). Such a month is met on its due date without a payment; it is never missed or reminded of.
-- depends: 0003.plans-from-the-ledger

ALTER TABLE plan_installments DROP CONSTRAINT plan_installments_amount_check;
ALTER TABLE plan_installments ADD CONSTRAINT plan_installments_amount_check CHECK (amount >= 0);
