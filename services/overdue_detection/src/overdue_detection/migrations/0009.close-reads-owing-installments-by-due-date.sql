-- The close's reminders (InstallmentDueSoon) read installments by due date through an index, not a
-- scan of the whole book: the index of unpaid installments by due date now also holds those that
-- owe penalty alone, so that it covers every installment that owes anything (Σ owed > 0 implies
-- one or the other, every deduction being ≥ 0). Still one index: what it costs LoanBooked is unchanged.
-- depends: 0008.ledger-reads-by-loan

DROP INDEX installments_unpaid_by_due_date;
CREATE INDEX installments_owing_by_due_date ON installments (due_date)
    WHERE paid_principal + paid_interest + paid_fee < principal + interest + fee OR penalty_basis > 0;

-- The loans in an overdue episode, or with a status waiting untold: the close reads them all.
CREATE INDEX loans_in_an_episode ON loans (loan_id) WHERE overdue_since IS NOT NULL OR untold_kind IS NOT NULL;
