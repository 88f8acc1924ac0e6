-- The language messages to the borrower are written in, as upstream stated it (LoanBooked's
-- borrower.language, BorrowerContactChanged.language): zh-Hans, zh-Hant or en. NULL: never stated,
-- the locale's own (tideover_contracts.common Language.of), so that a later change of locale alone
-- still changes what the borrower reads. A BorrowerContactChanged without it keeps it.
-- depends: 0005.closed-loans-and-ledger-after-breaks

ALTER TABLE contacts ADD COLUMN language text;
