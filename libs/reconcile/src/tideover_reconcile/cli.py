"""`tideover-reconcile`: the trial balance of the loan book, read from the services' schemas.

    tideover-reconcile [--json] [--loan LOAN_ID ...] [--ledger-schema overdue_detection] [--tracking-schema repayment_tracking]

Prints, per currency and component (principal, interest, fee, penalty), what was charged, paid,
waived, written off and is outstanding; lists every loan out of balance and every plan the
services disagree on (DESIGN.md §3a). Exit code 1 when a loan is out of balance, 2 when the
schemas cannot be read, 0 otherwise. Uses DATABASE_URL like the services.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

from tideover_reconcile.balance import text_lines, trial_balance
from tideover_reconcile.reading import LEDGER_SCHEMA, TRACKING_SCHEMA
from tideover_runtime.database import FAILED
from tideover_runtime.settings import RuntimeSettings

#: The database refused or went away, or a schema name is not one.
CANNOT_READ: tuple[type[BaseException], ...] = (*FAILED, ValueError)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tideover-reconcile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="the trial balance as one JSON object")
    parser.add_argument("--loan", type=uuid.UUID, action="append", dest="loans", help="only this loan (repeatable)")
    parser.add_argument("--ledger-schema", default=LEDGER_SCHEMA, help="overdue-detection's schema")
    parser.add_argument("--tracking-schema", default=TRACKING_SCHEMA, help="repayment-tracking's schema")
    arguments = parser.parse_args(argv)
    try:
        balance = asyncio.run(
            trial_balance(
                RuntimeSettings().database_url,
                arguments.loans,
                ledger_schema=arguments.ledger_schema,
                tracking_schema=arguments.tracking_schema,
            )
        )
    except CANNOT_READ as error:
        print(f"tideover-reconcile: cannot read the ledger: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    figures = balance.as_json()
    if arguments.json:
        print(json.dumps(figures, indent=2))
    else:
        print("\n".join(text_lines(figures)))
    return 0 if balance.balanced else 1


if __name__ == "__main__":
    sys.exit(main())
