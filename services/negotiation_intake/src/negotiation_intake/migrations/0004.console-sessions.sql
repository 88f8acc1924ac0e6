-- The console's sessions, kept here rather than in a signed cookie (issue 17, M5): the cookie holds
-- only a random token, of which only the SHA-256 is stored; signing out deletes the row, so a copy
-- of the cookie stops working, and every replica sees the same sessions.
-- depends: 0003.one-plan-at-a-time

CREATE TABLE console_sessions (
    token_sha256 text        PRIMARY KEY,
    -- NULL before sign-in: a visitor's session carries only the sign-in form's CSRF token.
    key_id       text        REFERENCES api_keys ON DELETE CASCADE,
    csrf_token   text        NOT NULL,
    language     text        NOT NULL DEFAULT '',
    flash        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_by_key ON console_sessions (key_id);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- A revoked key ends its sessions, however it was revoked (the CLI or an UPDATE by hand).
CREATE FUNCTION console_sessions_end_with_key() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM console_sessions WHERE key_id = NEW.key_id;
    RETURN NEW;
END $$;
CREATE TRIGGER api_keys_revoked_ends_sessions AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION console_sessions_end_with_key();
