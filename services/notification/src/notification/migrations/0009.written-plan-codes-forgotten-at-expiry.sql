-- A written plan's message keeps the PlanSentToBorrower it tells of (to render it again after a
-- hold or a failed channel), and with it the borrower's one-time code. The code is of use until
-- its expiry (code_expires_at, 24 hours): `secret_until` is that instant while the stored event
-- holds the code in clear, NULL otherwise. On each clock event, the codes expired by then are
-- forgotten (application/codes.py): the event's code is replaced by '******', secret_until
-- cleared, and the message, if still held or waiting, suppressed (rule code_expired; issue 17, M4).
-- The messages stored so far: from their event, forgotten on the next clock event once expired.
-- depends: 0008.written-plan-requests-secret-in-outbox

ALTER TABLE messages ADD COLUMN secret_until timestamptz;
CREATE INDEX messages_secret_by_expiry ON messages (secret_until) WHERE secret_until IS NOT NULL;

UPDATE messages SET secret_until = (source ->> 'code_expires_at')::timestamptz
WHERE source_type = 'PlanSentToBorrower'
  AND source ->> 'confirmation_code' ~ '^[0-9]{6}$';
