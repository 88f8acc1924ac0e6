-- The scheduler's book (DESIGN.md §6): each date it closed, once, and whether it is paused.
-- depends: 0000.runtime-inbox-outbox

CREATE TABLE closed_dates (
    business_date  date        PRIMARY KEY,
    closed_at      timestamptz NOT NULL,
    -- Set on a date closed late in a catch-up: the latest date that catch-up closed.
    catching_up_to date,
    -- Who closed it: the scheduler, or an operator's `tideover-clock close-day`.
    closed_by      text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clock_state (
    only_row     boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    paused       boolean     NOT NULL DEFAULT false,
    changed_by   text,
    changed_at   timestamptz,
    last_tick_at timestamptz
);
INSERT INTO clock_state DEFAULT VALUES;
