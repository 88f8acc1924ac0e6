-- A replay reads a loan's payments and plans by loan (adapters/loan_book.py ledgers): without
-- these, each batch of repayments scanned every payment and plan ever recorded.
-- depends: 0007.untold-after-quiet-days

CREATE INDEX repayments_by_loan ON repayments (loan_id);
CREATE INDEX plans_by_loan ON plans (loan_id, ordinal);
