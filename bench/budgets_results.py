"""A participatory budget's results: greedy and the Method of Equal Shares (completed by greedy)
for 100,000 voters and 100 projects, civic against pabutools on the same election in the same run
(issue 15: civic's greedy and MES together under 2 s, at least 20 times faster than pabutools,
with identical winners, and memory flat in the number of voters).

    .venv/bin/python bench/budgets_results.py        (part of `make bench`)

No server and no database: both sides compute from the same ballots in this process.

1. A synthetic election, seeded: BENCH_PROJECTS projects (default 100) costing £5,000 to
   £200,000, a budget of a quarter of their total, and BENCH_VOTERS voters (default 100,000),
   each choosing 1 to 8 projects, the popular ones more often (weights falling off like 1/rank,
   so that the two methods differ).
2. civic (budgets.allocation): the election built from the arrays, greedy, and equal shares
   completed by greedy, each timed as the median of BENCH_RUNS runs (default 5) after a warm-up,
   the election built afresh each run so that nothing is cached; the raised-budget completion
   once, for information.
3. pabutools 1.2.3 on the same election (one pabutools ballot per voter, the same tie-breaking):
   greedy_utilitarian_welfare and completion_by_rule_combination(MES, greedy), with Cost_Sat,
   once each (it takes minutes). BENCH_REFERENCE_VOTERS (default: all) runs pabutools, and
   civic again for the ratio, on the first N voters only, for a quicker run.
4. The winners of both sides compared, in the order funded.
5. Memory: Python's allocations (tracemalloc) while civic builds the election and works out
   both results, at 10,000 voters and at BENCH_VOTERS: the peak in bytes per voter, and the
   number of blocks still allocated for the election and its results, which stays flat when no
   Python object is made per ballot.

Results are also written to bench/results/budgets_results.json.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from budgets.allocation import Completion, Election, Project, equal_shares, greedy

VOTERS = int(os.environ.get("BENCH_VOTERS", "100000"))
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "100"))
REFERENCE_VOTERS = int(os.environ.get("BENCH_REFERENCE_VOTERS", str(VOTERS)))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SMALL_VOTERS = 10_000
SEED = 2027
AIM_SECONDS = 2.0
AIM_RATIO = 20.0
FLAT_GROWTH = 1.5


def synthetic(voters: int, projects: int, seed: int = SEED):
    """(projects, budget, starts, chosen): the ballots as CSR arrays, drawn without a Python
    object per ballot. Each voter's projects are the top k of Gumbel-perturbed log weights,
    which draws k distinct projects with probabilities following the weights."""
    rng = np.random.default_rng(seed)
    costs = rng.integers(5, 201, size=projects) * 1000
    listed = [
        Project(id=str(number + 1), cost=int(cost), name=f"Project {number + 1}")
        for number, cost in enumerate(costs)
    ]
    log_weights = -np.log(np.arange(1, projects + 1)) * 0.8
    rng.shuffle(log_weights)
    sizes = rng.integers(1, 9, size=voters)
    starts = np.zeros(voters + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    chosen = np.empty(starts[-1], dtype=np.int32)
    chunk = 10_000
    for first in range(0, voters, chunk):
        last = min(first + chunk, voters)
        keys = log_weights + rng.gumbel(size=(last - first, projects))
        ranked = np.argsort(-keys, axis=1)[:, :8]
        take = np.arange(8) < sizes[first:last, None]
        chosen[starts[first] : starts[last]] = ranked[take]
    budget = int(costs.sum() // 4)
    return listed, budget, starts, chosen


def first_voters(data, voters: int):
    listed, budget, starts, chosen = data
    return listed, budget, starts[: voters + 1], chosen[: starts[voters]]


def build(data) -> Election:
    listed, budget, starts, chosen = data
    return Election.from_csr(projects=listed, budget=budget, starts=starts, chosen=chosen)


def median_seconds(action, runs: int = RUNS, setup=None) -> float:
    """Median wall time of `action(setup())` over `runs` runs after a warm-up; `setup` is not
    timed."""
    setup = setup or (lambda: None)
    action(setup())
    times = []
    for _ in range(runs):
        argument = setup()
        start = time.perf_counter()
        action(argument)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def civic_timings(data) -> dict:
    """Each part on an election built afresh (nothing cached from a run before), and the three
    together as a results worker would run them."""

    def both(_):
        election = build(data)
        greedy(election)
        equal_shares(election, completion=Completion.GREEDY)

    return {
        "build": median_seconds(lambda _: build(data)),
        "greedy": median_seconds(greedy, setup=lambda: build(data)),
        "equal_shares_greedy": median_seconds(
            lambda election: equal_shares(election, completion=Completion.GREEDY),
            setup=lambda: build(data),
        ),
        "total": median_seconds(both),
    }


def memory(data) -> dict:
    """Peak bytes while building and computing, and the blocks left allocated for the election
    and its two results (the input arrays are made before tracing starts)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    tracemalloc.reset_peak()
    election = build(data)
    results = (greedy(election), equal_shares(election, completion=Completion.GREEDY))
    _current, peak = tracemalloc.get_traced_memory()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    blocks = sum(stat.count_diff for stat in after.compare_to(before, "filename"))
    del results, election
    return {"peak_bytes": peak, "blocks": blocks}


def reference(election: Election) -> dict:
    from pabutools.election import Cost_Sat
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    from tests.budgets.pabutools_reference import reference_election

    start = time.perf_counter()
    instance, profile, tie_breaking = reference_election(election)
    prepared = time.perf_counter() - start
    rule = {"sat_class": Cost_Sat, "tie_breaking": tie_breaking}
    start = time.perf_counter()
    greedy_outcome = greedy_utilitarian_welfare(instance, profile, **rule)
    greedy_seconds = time.perf_counter() - start
    start = time.perf_counter()
    mes_outcome = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [dict(rule), dict(rule)],
    )
    mes_seconds = time.perf_counter() - start
    return {
        "prepare": prepared,
        "greedy": greedy_seconds,
        "equal_shares_greedy": mes_seconds,
        "total": greedy_seconds + mes_seconds,
        "greedy_winners": [project.name for project in greedy_outcome],
        "equal_shares_greedy_winners": [project.name for project in mes_outcome],
    }


def main() -> int:
    started = time.perf_counter()
    data = synthetic(VOTERS, PROJECTS)
    election = build(data)
    print(
        f"election: {election.voters:,} voters, {len(election.projects)} projects, "
        f"{len(election.ballot_counts):,} distinct ballots, {len(election.ballot_projects):,} "
        f"distinct-ballot votes, budget £{election.budget:,} (drawn in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    timings = civic_timings(data)
    greedy_result = greedy(election)
    mes_result = equal_shares(election, completion=Completion.GREEDY)
    start = time.perf_counter()
    raised = equal_shares(election, completion=Completion.RAISED_BUDGET)
    raised_seconds = time.perf_counter() - start
    print(
        f"civic, {VOTERS:,} voters (median of {RUNS}): build {timings['build']:.3f} s, greedy "
        f"{timings['greedy']:.3f} s, MES + greedy {timings['equal_shares_greedy']:.3f} s; "
        f"build, greedy and MES together {timings['total']:.3f} s (aim under {AIM_SECONDS:.0f} s: "
        f"{'met' if timings['total'] < AIM_SECONDS else 'NOT met'})"
    )
    print(
        f"  greedy funds {len(greedy_result.funded)}, MES + greedy funds "
        f"{len(mes_result.funded)} ({len(set(greedy_result.funded) ^ set(mes_result.funded))} "
        f"differ); MES raised budget: {raised_seconds:.2f} s, {raised.raises} raises of 1%, "
        f"funds {len(raised.funded)}"
    )

    reference_data = data if REFERENCE_VOTERS >= VOTERS else first_voters(data, REFERENCE_VOTERS)
    compared = build(reference_data)
    civic_compared = timings if compared.voters == VOTERS else civic_timings(reference_data)
    print(f"pabutools on {compared.voters:,} voters (one run each; this takes a while) ...")
    pabutools = reference(compared)
    civic_greedy = list(greedy(compared).funded)
    civic_mes = list(equal_shares(compared, completion=Completion.GREEDY).funded)
    identical = (
        civic_greedy == pabutools["greedy_winners"]
        and civic_mes == pabutools["equal_shares_greedy_winners"]
    )
    ratio = pabutools["total"] / civic_compared["total"]
    print(
        f"pabutools, {compared.voters:,} voters: profile built in {pabutools['prepare']:.1f} s, "
        f"greedy {pabutools['greedy']:.1f} s, MES + greedy {pabutools['equal_shares_greedy']:.1f} "
        f"s; civic {civic_compared['total']:.3f} s on the same election: {ratio:,.0f} times "
        f"faster (aim at least {AIM_RATIO:.0f}: {'met' if ratio >= AIM_RATIO else 'NOT met'})"
    )
    print(f"winners identical to pabutools' (greedy and MES + greedy, in order): {identical}")

    small_voters = min(SMALL_VOTERS, max(VOTERS // 10, 1))
    small = memory(first_voters(data, small_voters))
    large = memory(data)
    growth = large["blocks"] / max(small["blocks"], 1)
    flat = growth < FLAT_GROWTH
    print(
        f"memory: peak {small['peak_bytes'] / 1e6:.1f} MB at {small_voters:,} voters "
        f"({small['peak_bytes'] / small_voters:.0f} bytes a voter), "
        f"{large['peak_bytes'] / 1e6:.1f} MB at {VOTERS:,} "
        f"({large['peak_bytes'] / VOTERS:.0f} bytes a voter); blocks kept "
        f"{small['blocks']:,} and {large['blocks']:,}: {growth:.2f}x for "
        f"{VOTERS / small_voters:.0f}x the voters, {'flat' if flat else 'NOT flat'}"
    )
    met = timings["total"] < AIM_SECONDS and ratio >= AIM_RATIO and identical and flat
    harness.write_results(
        "budgets_results",
        {
            "machine": harness.machine(),
            "voters": VOTERS,
            "projects": PROJECTS,
            "distinct_ballots": len(election.ballot_counts),
            "civic_seconds": timings,
            "civic_raised_budget_seconds": raised_seconds,
            "reference_voters": compared.voters,
            "civic_seconds_on_reference_election": civic_compared["total"],
            "pabutools_seconds": {
                key: pabutools[key] for key in ("prepare", "greedy", "equal_shares_greedy")
            },
            "ratio": ratio,
            "winners_identical": identical,
            "memory": {
                "small": dict(small, voters=small_voters),
                "large": dict(large, voters=VOTERS),
                "blocks_growth": growth,
                "flat": flat,
            },
            "aims_met": met,
        },
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
