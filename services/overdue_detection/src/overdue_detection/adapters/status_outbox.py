"""Stage the `overdue.status.v1` events of many episode decisions in one SQL statement.

A business-day close may decide tens of thousands of loans. Building each event as Python
objects costs about a millisecond a loan, so the events are rendered as JSON by Postgres, in
the shape of the contracts in libs/contracts (LoanBecameOverdue, OverdueStatusChanged,
LoanCured), straight into the outbox. tests/integration/test_status_outbox.py parses what it
writes with the contracts and compares it with the same events built in Python.
"""

from __future__ import annotations

from datetime import date

from overdue_detection.adapters.ledger_sql import OWED, owed
from overdue_detection.application.ports import EnvelopeFacts, StatusEvent
from tideover_runtime.database import Connection
from tideover_runtime.outbox import NOTIFY_CHANNEL

_MONEY = "json_build_object('amount', ({amount})::text, 'currency', s.currency)"

#: One installment of a remaining schedule, concatenated as text: several times faster than
#: format() or JSON functions for a close that renders hundreds of thousands of them.
_LINE = (
    """'{"installment":{"sequence":' || i.sequence || ',"due_date":"' || i.due_date"""
    """ || '","principal":{"amount":"' || i.principal || '","currency":"' || l.currency"""
    """ || '"},"interest":{"amount":"' || i.interest || '","currency":"' || l.currency"""
    """ || '"},"fee":{"amount":"' || i.fee || '","currency":"' || l.currency"""
    """ || '"}},"outstanding":{"amount":"' || """ + OWED + """ || '","currency":"' || l.currency || '"}}'"""
)

# Each event's loan and schedule are read in a LATERAL, by primary key: never a scan of the book.
# JSON is built as json (never jsonb, which would parse every schedule again) and the schedule
# and payload spliced in as text.
_STAGE = f"""
WITH decided AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::int[], $6::text[], $7::date[],
                         $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::text[], $13::text[], $14::text[],
                         $18::text[], $19::uuid[])
        AS d(event_id, event_type, loan_id, episode, dpd, bucket, oldest_due, principal, interest, fee, penalty,
             reasons, previous_bucket, cure_reason, correlation_id, causation_id)
),
payloads AS (
    SELECT d.event_id, d.event_type, d.loan_id, d.correlation_id, d.causation_id,
           CASE WHEN d.event_type = 'LoanCured' THEN json_build_object(
               'loan_id', d.loan_id, 'episode', d.episode, 'business_date', $15::date, 'reason', d.cure_reason,
               'outstanding_principal', {_MONEY.format(amount="s.outstanding_principal")},
               'contact', s.contact)::text
           ELSE left(json_build_object(
               'loan_id', d.loan_id, 'episode', d.episode, 'business_date', $15::date, 'days_past_due', d.dpd,
               'bucket', d.bucket, 'oldest_overdue_due_date', d.oldest_due,
               'overdue', json_build_object(
                   'principal', {_MONEY.format(amount="d.principal")}, 'interest', {_MONEY.format(amount="d.interest")},
                   'fee', {_MONEY.format(amount="d.fee")}, 'penalty', {_MONEY.format(amount="d.penalty")},
                   'total', {_MONEY.format(amount="d.principal + d.interest + d.fee + d.penalty")}),
               'outstanding_principal', {_MONEY.format(amount="s.outstanding_principal")},
               'contract_rate', s.contract_rate::text, 'overdue_rate', s.overdue_rate::text,
               'charges_cap_applied', s.cap_binds, 'under_plan', s.under_plan, 'contact', s.contact)::text, -1)
               || CASE WHEN d.event_type = 'OverdueStatusChanged'
                       THEN ',"reasons":' || to_json(string_to_array(d.reasons, ','))::text
                            || ',"previous_bucket":' || to_json(d.previous_bucket)::text
                       ELSE '' END
               || ',"remaining_schedule":' || s.remaining || '}}'
           END AS payload
    FROM decided d
    CROSS JOIN LATERAL (
        SELECT l.currency, l.contact, l.contract_rate, l.overdue_rate, l.cap_binds, l.under_plan,
               coalesce(sum({owed("principal")}), 0) AS outstanding_principal,
               '[' || coalesce(string_agg({_LINE}, ',' ORDER BY i.sequence) FILTER (WHERE {OWED} > 0), '') || ']' AS remaining
        FROM loans l LEFT JOIN installments i ON i.loan_id = l.loan_id
        WHERE l.loan_id = d.loan_id
        GROUP BY l.loan_id
    ) s
)
INSERT INTO outbox (event_id, event_type, topic, key, value, headers)
SELECT p.event_id, p.event_type, 'overdue.status.v1', p.loan_id::text,
       convert_to(left(json_build_object(
           'event_id', p.event_id, 'event_type', p.event_type, 'schema_version', 1, 'occurred_at', $16::text,
           'producer', $17::text, 'correlation_id', p.correlation_id, 'causation_id', p.causation_id)::text, -1)
           || ',"payload":' || p.payload || '}}',
           'UTF8'),
       jsonb_build_object('event_type', p.event_type, 'schema_version', '1', 'correlation_id', p.correlation_id)
FROM payloads p
ON CONFLICT (event_id) DO NOTHING
"""


async def stage_status_events(
    connection: Connection, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts
) -> None:
    if not events:
        return
    columns = list(
        zip(
            *[
                (
                    e.event_id,
                    e.event_type,
                    e.loan_id,
                    e.episode,
                    e.days_past_due,
                    e.bucket,
                    e.oldest_due,
                    e.principal,
                    e.interest,
                    e.fee,
                    e.penalty,
                    ",".join(e.reasons),
                    e.previous_bucket,
                    e.cure_reason,
                    e.correlation_id,
                    e.causation_id,
                )
                for e in events
            ],
            strict=True,
        )
    )
    occurred_at = facts.occurred_at.isoformat().replace("+00:00", "Z")
    arrays = [list(column) for column in columns]
    await connection.execute(_STAGE, *arrays[:14], business_date, occurred_at, facts.producer, *arrays[14:])
    await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
