-- Requests refused before they changed anything (issue 17, M3): no or an unknown key, a role
-- without the right, invalid input, too large a body, nothing by that id, a server error. Kept
-- with the reason, bounded per minute by the service (the rest are counted in a summary row,
-- `dropped`), and for 90 days: rows are never changed, and deleted only once that old.
-- depends: 0003.one-plan-at-a-time

CREATE TABLE refused_requests (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL,               -- the service's clock, as in audit_log
    recorded_at timestamptz NOT NULL DEFAULT now(), -- the database's: what the retention counts from
    status      integer,                            -- NULL on a summary row
    reason      text        NOT NULL,               -- the problem's rule, else its title
    detail      text,
    method      text,
    path        text,
    agent_id    text,                               -- the caller, when its key was known
    role        text,
    key_id      text,                               -- the key presented (its id only, never the secret)
    client      text,                               -- the client's address
    dropped     integer     NOT NULL DEFAULT 0      -- on a summary row: refusals over the bound, not kept
);
CREATE INDEX refused_requests_by_age ON refused_requests (recorded_at);

CREATE FUNCTION refused_requests_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.recorded_at < now() - interval '90 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'refused requests are kept unchanged for 90 days';
END $$;
CREATE TRIGGER refused_requests_kept BEFORE UPDATE OR DELETE ON refused_requests
    FOR EACH ROW EXECUTE FUNCTION refused_requests_are_kept();
CREATE TRIGGER refused_requests_no_truncate BEFORE TRUNCATE ON refused_requests
    FOR EACH STATEMENT EXECUTE FUNCTION refused_requests_are_kept();
