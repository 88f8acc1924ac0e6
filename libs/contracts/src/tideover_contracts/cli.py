"""`tideover-contracts export|check`: publish or verify the schemas, examples and AsyncAPI."""

from __future__ import annotations

import argparse

from tideover_contracts.published import CONTRACTS_ROOT, export, incompatibilities, stale_files


def main() -> None:
    parser = argparse.ArgumentParser(prog="tideover-contracts")
    commands = parser.add_subparsers(dest="command", required=True)
    export_command = commands.add_parser("export", help="write schemas, golden examples and asyncapi.json")
    export_command.add_argument("--allow-breaking", action="store_true", help="publish even an incompatible change")
    commands.add_parser("check", help="fail if the checked-in files are stale or a change breaks them")
    arguments = parser.parse_args()
    if arguments.command == "export":
        for path in export(arguments.allow_breaking):
            print(f"wrote {path.relative_to(CONTRACTS_ROOT)}")
        return
    problems = incompatibilities()
    stale = stale_files()
    for event, items in problems.items():
        for item in items:
            print(f"breaking: {event}: {item}")
    for path in stale:
        print(f"stale: {path.relative_to(CONTRACTS_ROOT)} (run: tideover-contracts export)")
    if problems or stale:
        raise SystemExit(1)
    print("contracts: published files are current and compatible")
