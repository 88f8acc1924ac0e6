-- A written plan's request carries the borrower's one-time code in its text: its outbox row is
-- blanked once published (tideover_runtime.outbox; issue 17, M4). The rows of the written plans
-- requested so far: blanked if published, blanked once published otherwise.
-- depends: 0006.contact-language 0003.runtime-outbox-secrets

UPDATE outbox SET secret = true
WHERE event_type = 'NotificationRequested'
  AND position('"written_plan"'::bytea IN value) > 0  -- cheap first, then exactly
  AND convert_from(value, 'UTF8')::jsonb #>> '{payload,purpose}' = 'written_plan';
UPDATE outbox SET value = ''::bytea WHERE secret AND sent_at IS NOT NULL;
