-- An offer honours its quote (DESIGN.md §3a): only a material change re-quotes an accepted offer,
-- so an offer keeps the arrears it quoted (overdue principal, interest and fees; the penalty
-- accrued since is waived by the ledger as `quote_honoured`). Offers made before: null.
-- depends: 0004.installments-one-plan-at-a-time

ALTER TABLE offers ADD COLUMN basis_arrears numeric;
