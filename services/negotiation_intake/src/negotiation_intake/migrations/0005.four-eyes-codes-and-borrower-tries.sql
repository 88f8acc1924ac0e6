-- Issue 17: who chose the option (an approver must be another person: four eyes), how often the
-- written plan was sent on its last business day (SENDS_A_DAY), the borrower's refused tries
-- (adapters/borrower_tries.py), and no code kept in a form a copy of the tables gives away.
-- depends: 0003.one-plan-at-a-time 0003.runtime-outbox-secrets

ALTER TABLE applications
    ADD COLUMN chosen_by      text,
    ADD COLUMN sends_on       date,
    ADD COLUMN sends_that_day integer NOT NULL DEFAULT 0;

-- The chooser of an option chosen before this migration, from the audit log (every choice is in it).
UPDATE applications AS a SET chosen_by = (
    SELECT l.agent_id FROM audit_log AS l
    WHERE l.application_id = a.application_id AND l.action = 'choose' AND l.status = 200
    ORDER BY l.id DESC LIMIT 1
) WHERE a.option_id IS NOT NULL;

-- Codes were hashed keyed with the application id, which is no secret: a million tries recover
-- one. They are discarded rather than kept until they expire (24 hours at most): a borrower who
-- had one is sent the plan again.
UPDATE applications SET code_hash = NULL WHERE code_hash IS NOT NULL;

-- The written plans sent so far carry their codes in clear: blanked if published, blanked once
-- published otherwise (tideover_runtime.outbox).
UPDATE outbox SET secret = true WHERE event_type = 'PlanSentToBorrower';
UPDATE outbox SET value = ''::bytea WHERE event_type = 'PlanSentToBorrower' AND sent_at IS NOT NULL;

-- Refused tries on the borrower's endpoint, per limit and subject (application or client address).
CREATE TABLE borrower_tries (
    subject     text        PRIMARY KEY,
    tries       integer     NOT NULL,
    window_ends timestamptz NOT NULL
);
CREATE INDEX borrower_tries_by_window_end ON borrower_tries (window_ends);
