-- An outbox row may carry a secret (a one-time code): the relay blanks its value in the
-- transaction that marks it sent (tideover_runtime.outbox; DESIGN.md §5, issue 17 M4).
-- depends: 0000.runtime-inbox-outbox

ALTER TABLE outbox ADD COLUMN secret boolean NOT NULL DEFAULT false;
