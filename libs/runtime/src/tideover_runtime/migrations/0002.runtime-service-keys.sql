-- The keys of the services and tools that may call this service's query API (DESIGN.md §5:
-- service credentials between services; tideover_runtime.service_keys). Only the SHA-256 of a
-- key's secret is kept; a key is shown once, when tideover-service-keys creates it.
-- depends: 0001.runtime-business-calendar

CREATE TABLE service_keys (
    key_id        text        PRIMARY KEY,
    caller        text        NOT NULL,
    role          text        NOT NULL,
    secret_sha256 text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
