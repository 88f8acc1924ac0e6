-- Retention deletes inbox and outbox rows by age, in small batches (tideover_runtime.retention;
-- issue 18): each batch finds its oldest rows by these indexes instead of scanning the table.
-- depends: 0003.runtime-outbox-secrets

CREATE INDEX inbox_processed_at ON inbox (processed_at);
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
