"""Refused requests are kept within a bound, so that a flood cannot fill the disk (issue 17, M3):
so many a minute from one caller, so many from unauthenticated callers together; the rest are
counted by caller, for the minute's summary."""

from __future__ import annotations

from collections import Counter

from negotiation_intake.adapters.refusals import NAMED_IN_SUMMARY, Budget


def kept(budget: Budget, callers: list[tuple[str, bool]], at: float) -> int:
    return sum(budget.admit(caller, anonymous, at) for caller, anonymous in callers)


def test_one_caller_is_kept_so_many_a_minute_and_the_rest_counted() -> None:
    budget = Budget(per_caller=3, anonymous=100)

    assert kept(budget, [("address 203.0.113.9", True)] * 50, at=0.0) == 3
    assert kept(budget, [("address 198.51.100.7", True)] * 2, at=1.0) == 2  # another caller has their own bound
    assert budget.take_dropped(0) == Counter({"address 203.0.113.9": 47})
    assert budget.take_dropped(0) == Counter()  # taken once


def test_unauthenticated_callers_together_are_bounded_and_agents_are_not_held_up_by_them() -> None:
    budget = Budget(per_caller=3, anonymous=10)
    many_addresses = [(f"address 10.0.{n // 256}.{n % 256}", True) for n in range(1000)]

    assert kept(budget, many_addresses, at=5.0) == 10
    assert kept(budget, [("key 0123456789ab", False)] * 5, at=6.0) == 3
    dropped = budget.take_dropped(0)
    assert dropped.total() == 990 + 2
    assert len(dropped) == NAMED_IN_SUMMARY + 1  # the first callers by name, the rest as `others`
    assert dropped["others"] == 990 + 2 - NAMED_IN_SUMMARY


def test_the_bound_starts_again_each_minute() -> None:
    budget = Budget(per_caller=3, anonymous=10)

    assert kept(budget, [("address 203.0.113.9", True)] * 5, at=59.9) == 3
    assert kept(budget, [("address 203.0.113.9", True)] * 5, at=60.0) == 3
    assert (budget.take_dropped(0), budget.take_dropped(1)) == (
        Counter({"address 203.0.113.9": 2}),
        Counter({"address 203.0.113.9": 2}),
    )
