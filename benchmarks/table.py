"""Every benchmark's figures in one table (`python -m benchmarks.table [results directory]`).

Reads `var/bench/*.json` as `benchmarks.common.write` leaves them. Each throughput measured
with a number of processes (`<figure>_per_second_<n>_process[es]`) is printed beside the raw
limit measured in the same run (`raw_limit_*`) and the ratio the benchmark computed
(`ratio_to_raw_<n>_process[es]`); a ratio the benchmark did not compute stays empty. Peak RSS
figures are printed as they were reported; the machine each run came from ends the table.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "var" / "bench"
HEADER = ("benchmark", "figure", "value", "raw limit", "ratio", "target")
THROUGHPUT = re.compile(r"_per_second_(\d+_process(?:es)?)$")


def fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def rows(document: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """One benchmark's rows: its figures, raw limits and ratios folded into their throughputs."""
    figures: dict[str, Any] = dict(document.get("figures", {}))
    target = str(figures.pop("targets", ""))
    raw_name = next((name for name in figures if name.startswith("raw_limit")), None)
    shown_beside: set[str] = set()
    lines: list[tuple[str, str, str, str]] = []
    for name, value in figures.items():
        match = THROUGHPUT.search(name)
        if match and raw_name:
            ratio_name = f"ratio_to_raw_{match.group(1)}"
            ratio = fmt(figures[ratio_name]) if ratio_name in figures else ""
            lines.append((name, fmt(value), fmt(figures[raw_name]), ratio))
            shown_beside.update({raw_name, ratio_name})
        else:
            lines.append((name, fmt(value), "", ""))
    for index, (name, value, raw, ratio) in enumerate(line for line in lines if line[0] not in shown_beside):
        yield (document.get("name", "?"), name, value, raw, ratio, target if index == 0 else "")


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine.get('cpus', '?')} CPUs, {machine.get('memory_gib', '?')} GiB, "
        f"Python {machine.get('python', '?')}, {machine.get('platform', '?')}"
    )


def table(results: Path = RESULTS) -> str:
    """The table of every `*.json` in `results`, or a line saying there is none."""
    documents = [json.loads(path.read_text()) for path in sorted(results.glob("*.json"))]
    if not documents:
        return f"no benchmark results in {results} (run make bench)"
    body = [HEADER, *(row for document in documents for row in rows(document))]
    widths = [max(len(row[column]) for row in body) for column in range(len(HEADER) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip() for row in body
    ]
    lines.insert(1, "  ".join("-" * width for width in [*widths, len(HEADER[-1])]))
    machines: dict[str, list[str]] = {}
    for document in documents:
        machines.setdefault(machine_line(document.get("machine", {})), []).append(document.get("name", "?"))
    for machine, names in machines.items():
        lines.append(f"machine: {machine}" + (f" ({', '.join(names)})" if len(machines) > 1 else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    print(table(Path(arguments[0]) if arguments else RESULTS))


if __name__ == "__main__":
    main()
