"""`python -m benchmarks.table`: every result file in one table, throughputs beside their raw limit."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TABLE = Path(__file__).resolve().parents[2] / "benchmarks" / "table.py"
MACHINE = {"cpus": 2, "memory_gib": 23.5, "python": "3.11.7", "platform": "Linux-x86_64"}


@pytest.fixture(scope="module")
def table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_table", TABLE)  # benchmarks/ is not installed
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result(directory: Path, name: str, figures: dict[str, Any], machine: dict[str, Any] = MACHINE) -> None:
    document = {"name": name, "figures": figures, "params": {}, "machine": machine}
    (directory / f"{name}.json").write_text(json.dumps(document))


def cells(text: str) -> dict[tuple[str, str], list[str]]:
    """(benchmark, figure) → the remaining cells of its row, split on runs of spaces."""
    found = {}
    for line in text.splitlines()[2:]:
        if line.startswith("machine:"):
            continue
        parts = [part for part in line.split("  ") if part.strip()]
        found[parts[0].strip(), parts[1].strip()] = [part.strip() for part in parts[2:]]
    return found


def test_throughputs_sit_beside_the_raw_limit_and_the_ratio_the_run_computed(table: ModuleType, tmp_path: Path) -> None:
    result(
        tmp_path,
        "tracking",
        {
            "close_seconds": 0.21,
            "repayments_per_second_1_process": 2622,
            "repayments_per_second_2_processes": 3523,
            "raw_limit_per_second": 83129,
            "ratio_to_raw_1_process": 0.032,
            "close_peak_rss_mib": 92.9,
            "targets": "≥ 5,000 repayments/s through Kafka",
        },
    )
    result(tmp_path, "intake", {"p99_ms": 8.3, "achieved_requests_per_second": 200.0, "service_peak_rss_mib": 111.7})

    text = table.table(tmp_path)
    rows = cells(text)

    assert text.splitlines()[0].split() == ["benchmark", "figure", "value", "raw", "limit", "ratio", "target"]
    assert rows["tracking", "close_seconds"] == ["0.21", "≥ 5,000 repayments/s through Kafka"]
    assert rows["tracking", "repayments_per_second_1_process"] == ["2,622", "83,129", "0.032"]
    assert rows["tracking", "repayments_per_second_2_processes"] == ["3,523", "83,129"]  # no ratio was measured
    assert rows["tracking", "close_peak_rss_mib"] == ["92.9"]
    assert ("tracking", "raw_limit_per_second") not in rows
    assert ("tracking", "ratio_to_raw_1_process") not in rows
    assert rows["intake", "achieved_requests_per_second"] == ["200"]  # no raw limit in that run
    assert rows["intake", "service_peak_rss_mib"] == ["111.7"]
    assert text.splitlines()[-1] == "machine: 2 CPUs, 23.5 GiB, Python 3.11.7, Linux-x86_64"


def test_each_machine_is_named_with_its_benchmarks_when_runs_came_from_several(table: ModuleType, tmp_path: Path) -> None:
    result(tmp_path, "plans", {"common_menu_ms_p99": 0.462})
    result(tmp_path, "overdue", {"ingest_peak_rss_mib": 100.9}, {**MACHINE, "cpus": 8})

    lines = table.table(tmp_path).splitlines()

    assert lines[-2:] == [
        "machine: 8 CPUs, 23.5 GiB, Python 3.11.7, Linux-x86_64 (overdue)",
        "machine: 2 CPUs, 23.5 GiB, Python 3.11.7, Linux-x86_64 (plans)",
    ]


def test_an_empty_results_directory_says_so(table: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table.main([str(tmp_path)])

    assert capsys.readouterr().out == f"no benchmark results in {tmp_path} (run make bench)\n"
