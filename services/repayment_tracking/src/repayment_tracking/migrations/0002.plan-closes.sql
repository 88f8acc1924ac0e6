-- The last business day each plan was judged on: closing several days at once judges each of them.
-- depends: 0001.plans

ALTER TABLE plans ADD COLUMN closed_through date;
ALTER TABLE plans ADD COLUMN ended_on date;
ALTER TABLE plan_installments ADD COLUMN missed_on date;
ALTER TABLE plan_payments ADD COLUMN received_at timestamptz;
CREATE INDEX plan_payments_by_plan ON plan_payments (plan_id, value_date);
