-- The business days closed on ops.clock.v1 that this service has seen: the simulated clock's
-- memory across restarts, and the "as of" date of every query.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE business_calendar (
    business_date date        PRIMARY KEY,
    closed_at     timestamptz NOT NULL
);
