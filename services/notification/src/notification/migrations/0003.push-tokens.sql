-- The borrower's push token (LoanBooked, BorrowerContactChanged): push notifications need it.
-- depends: 0002.messages-holds-plans

ALTER TABLE contacts ADD COLUMN push_token text;
