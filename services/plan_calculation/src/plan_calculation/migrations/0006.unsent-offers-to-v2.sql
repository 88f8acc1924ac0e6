-- plans.offers.v1 is retired (libs/contracts/CHANGELOG.md, 2026-12-08): no consumer reads it any
-- more. An event staged for it and not yet sent when the old version stopped (the broker
-- unreachable, a relay mid-batch) would be published where nobody reads it: an activation the
-- ledger never learns. Such rows go to plans.offers.v2 instead. PlanRejected, PlanActivated and
-- OfferExpired are the same events there; a PlanOffered staged in version 1's shape becomes
-- version 2, whose reader compacts options given in version 1's shape (PlanOffered).
-- depends: 0005.quoted-arrears

UPDATE outbox
SET topic = 'plans.offers.v2',
    value = CASE WHEN event_type = 'PlanOffered'
                 THEN convert_to(jsonb_set(convert_from(value, 'UTF8')::jsonb, '{schema_version}', '2')::text, 'UTF8')
                 ELSE value END,
    headers = CASE WHEN event_type = 'PlanOffered' THEN headers || '{"schema_version": "2"}'::jsonb ELSE headers END
WHERE topic = 'plans.offers.v1' AND sent_at IS NULL;
