-- Agents' API keys (stored hashed), evidence documents, supervisor approval and the audit log.
-- depends: 0001.applications

CREATE TABLE api_keys (
    key_id     text        PRIMARY KEY,
    secret_sha256 text     NOT NULL,
    agent_id   text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE evidence (
    document_id    uuid        PRIMARY KEY,
    application_id uuid        NOT NULL REFERENCES applications,
    kind           text        NOT NULL,
    filename       text        NOT NULL,
    media_type     text        NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes     integer     NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256         text        NOT NULL,
    content        bytea       NOT NULL,
    uploaded_by    text        NOT NULL,
    uploaded_at    timestamptz NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected')),
    review_note    text,
    reviewed_by    text,
    reviewed_at    timestamptz
);
CREATE INDEX evidence_by_application ON evidence (application_id, uploaded_at);

ALTER TABLE applications
    ADD COLUMN needs_supervisor boolean NOT NULL DEFAULT false,
    ADD COLUMN approved_by      text,
    ADD COLUMN approval_note    text;
CREATE INDEX applications_by_state ON applications (state, created_at, application_id);

-- Append-only: every mutating request, who made it, and the application before and after.
CREATE TABLE audit_log (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL,
    agent_id       text        NOT NULL,
    role           text        NOT NULL,
    action         text        NOT NULL,
    method         text        NOT NULL,
    path           text        NOT NULL,
    status         integer     NOT NULL,
    application_id uuid,
    before         jsonb,
    after          jsonb
);
CREATE INDEX audit_by_application ON audit_log (application_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
