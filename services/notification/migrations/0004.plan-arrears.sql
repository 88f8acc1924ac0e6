-- The due date of a plan's oldest missed installment: a broken-plan message states the days overdue.
-- depends: 0003.push-tokens

ALTER TABLE plans ADD COLUMN oldest_missed_due date;
