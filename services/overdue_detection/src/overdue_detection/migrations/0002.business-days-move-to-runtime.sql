-- The runtime's business_calendar now records every closed business day.
-- depends: 0001.loan-book 0001.runtime-business-calendar

INSERT INTO business_calendar (business_date, closed_at)
SELECT business_date, closed_at FROM business_days
ON CONFLICT DO NOTHING;
DROP TABLE business_days;
