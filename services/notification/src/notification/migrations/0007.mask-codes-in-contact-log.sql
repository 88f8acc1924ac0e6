-- A written plan's one-time code is masked in the contact log (DESIGN.md §5; domain/masking.py
-- since): the lines logged before are masked too, the code written whole or digit by digit.
-- depends: 0006.contact-language

UPDATE contact_log AS log
SET body    = regexp_replace(log.body, pattern.code, '******', 'g'),
    subject = regexp_replace(log.subject, pattern.code, '******', 'g')
FROM messages,
     LATERAL (
         SELECT array_to_string(regexp_split_to_array(messages.source ->> 'confirmation_code', ''), '\s*') AS code
     ) AS pattern
WHERE messages.notification_id = log.notification_id
  AND log.purpose = 'written_plan'
  AND messages.source ->> 'confirmation_code' ~ '^[0-9]{6}$';
