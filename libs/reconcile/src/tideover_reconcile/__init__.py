"""The operator's trial balance of the loan book (DESIGN.md §3a): `trial_balance()` and `tideover-reconcile`."""

from tideover_reconcile.balance import TrialBalance, text_lines, trial_balance

__all__ = ["TrialBalance", "text_lines", "trial_balance"]
