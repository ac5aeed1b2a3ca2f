"""The queue planner: which calls are picked, for whom, and why (pure, no database)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc.reviews.allocation import Group, Reviewer, allocate, may_review
from qc.reviews.models import PickReason, Shortfall
from qc.reviews.planner import CallFacts, CallState, ExistingPick, RepDayInput, plan_day
from qc.reviews.policy import Policy, day_times, review_day

DAY = date(2026, 11, 23)  # a Monday
LANGUAGES = ("en", "ro", "ru")


def at(hour: float) -> datetime:
    return datetime(2026, 11, 23, tzinfo=UTC) + timedelta(hours=hour)


def rep_day(
    rep_id: int,
    calls: list[CallFacts],
    *,
    team_id: int = 1,
    policy: Policy | None = None,
    seed: int = 7,
    draw_all: bool = True,
    existing: tuple[ExistingPick, ...] = (),
) -> RepDayInput:
    policy = policy or Policy(risk_share=0.5)
    return RepDayInput(
        rep_id=rep_id,
        team_id=team_id,
        policy=policy,
        times=day_times(policy, DAY),
        seed=seed,
        draw_all=draw_all,
        calls=calls,
        existing=existing,
    )


def call(call_id: int, rep_id: int, hour: float = 10, *, team_id: int = 1, **overrides: object) -> CallFacts:
    values: dict[str, object] = {
        "id": call_id,
        "rep_id": rep_id,
        "team_id": team_id,
        "started_at": at(hour),
        "duration_s": 120.0,
        "state": CallState.SCORED,
        "language": "en",
        "final_score": 90.0,
        **overrides,
    }
    return CallFacts(**values)  # type: ignore[arg-type]


def reviewer(reviewer_id: int, capacity: int = 10, **overrides: object) -> Reviewer:
    values: dict[str, object] = {
        "id": reviewer_id,
        "team_id": None,
        "languages": frozenset(),
        "capacity": capacity,
        **overrides,
    }
    return Reviewer(**values)  # type: ignore[arg-type]


# Properties ------------------------------------------------------------------------------


@st.composite
def days(draw: st.DrawFn) -> tuple[list[RepDayInput], list[Reviewer], datetime]:
    """Up to 6 reps in 2 teams, up to 7 calls each, up to 4 reviewers (some of them reps)."""
    team_policies = {
        team: Policy(
            target=draw(st.integers(1, 3)),
            risk_share=draw(st.sampled_from([0.0, 0.5, 1.0])),
            exclude_own_team=draw(st.booleans()),
            min_duration_s=30,
        )
        for team in (1, 2)
    }
    rep_count = draw(st.integers(1, 6))
    inputs, next_id = [], 1000
    for rep_id in range(1, rep_count + 1):
        team = draw(st.sampled_from([1, 2]))
        calls = []
        for _ in range(draw(st.integers(0, 7))):
            next_id += 1
            calls.append(
                call(
                    next_id,
                    rep_id,
                    draw(st.floats(0, 23.9)),
                    team_id=team,
                    duration_s=draw(st.sampled_from([10.0, 45.0, 300.0])),
                    state=draw(st.sampled_from(list(CallState))),
                    language=draw(st.sampled_from(LANGUAGES)),
                    final_score=draw(st.one_of(st.none(), st.floats(0, 100))),
                    critical_failed=draw(st.booleans()),
                    needs_review=draw(st.integers(0, 3)),
                    asr_confidence=draw(st.one_of(st.none(), st.floats(0.2, 1.0))),
                    taken=draw(st.booleans()) and draw(st.booleans()),
                )
            )
        inputs.append(rep_day(rep_id, calls, team_id=team, policy=team_policies[team], seed=rep_id))
    reviewers = [
        reviewer(
            reviewer_id,
            capacity=draw(st.integers(0, 5)),
            load=draw(st.integers(0, 2)),
            team_id=draw(st.sampled_from([None, 1, 2])),
            languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), max_size=2))),
        )
        # ids 1-6 are also reps: a reviewer who is a rep must never get their own calls
        for reviewer_id in draw(st.sets(st.integers(1, 12), max_size=4))
    ]
    now = at(draw(st.floats(0, 30)))
    return inputs, reviewers, now


def _as_of(inputs: list[RepDayInput], now: datetime) -> list[RepDayInput]:
    """The same rep-days as a build at `now` sees them: drawn in full only once the day is over."""
    return [
        rep_day(
            d.rep_id, list(d.calls), team_id=d.team_id, policy=d.policy, seed=d.seed, draw_all=now >= at(24)
        )
        for d in inputs
    ]


def _eligible(day: RepDayInput) -> list[CallFacts]:
    return [
        c
        for c in day.calls
        if c.state is CallState.SCORED and c.duration_s >= day.policy.min_duration_s and not c.taken
    ]


def _oracle(inputs: list[RepDayInput], reviewers: list[Reviewer]) -> int:
    """The largest number of calls that could be reviewed, by brute force at the level of
    single calls: Edmonds-Karp on source -> rep (quota) -> call -> reviewer (room) -> sink."""
    excluding = {d.team_id for d in inputs if d.policy.exclude_own_team}
    capacity: dict[tuple[str, str], int] = {}
    for d in inputs:
        rep = f"rep{d.rep_id}"
        capacity[("s", rep)] = min(d.policy.target, len(_eligible(d)))
        for c in _eligible(d):
            capacity[(rep, f"call{c.id}")] = 1
            for r in reviewers:
                group = Group(c.rep_id, c.team_id, c.language)
                if may_review(r, group, exclude_own_team=c.team_id in excluding):
                    capacity[(f"call{c.id}", f"rev{r.id}")] = 1
    for r in reviewers:
        capacity[(f"rev{r.id}", "t")] = r.remaining
    flow: Counter[tuple[str, str]] = Counter()
    total = 0
    while True:
        parent: dict[str, tuple[str, int]] = {"s": ("", 0)}
        queue = ["s"]
        while queue and "t" not in parent:
            node = queue.pop(0)
            for (a, b), cap in capacity.items():
                if a == node and b not in parent and cap - flow[(a, b)] > 0:
                    parent[b] = (a, 1)
                    queue.append(b)
                if b == node and a not in parent and flow[(a, b)] > 0:
                    parent[a] = (b, -1)
                    queue.append(a)
        if "t" not in parent:
            return total
        node = "t"
        while node != "s":
            previous, direction = parent[node]
            if direction == 1:
                flow[(previous, node)] += 1
            else:
                flow[(node, previous)] -= 1
            node = previous
        total += 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_a_closing_day_assigns_the_target_whenever_capacity_allows(
    case: tuple[list[RepDayInput], list[Reviewer], datetime],
) -> None:
    inputs, reviewers, _ = case
    plan = plan_day(inputs, reviewers, at(30))
    assigned = Counter(p.rep_id for p in plan.picks if p.reviewer_id is not None)
    best = _oracle(inputs, reviewers)
    assert sum(assigned.values()) == best, "the planner assigns as many reviews as possible"
    wanted = {d.rep_id: min(d.policy.target, len(_eligible(d))) for d in inputs}
    if best == sum(wanted.values()):
        for d in inputs:
            assert assigned[d.rep_id] == wanted[d.rep_id]
            if len(_eligible(d)) >= d.policy.target:
                assert assigned[d.rep_id] == d.policy.target
    for d in inputs:
        # Every eligible call is a candidate at the end of the day: a rep is short only
        # when the calls ran out.
        assert plan.outcomes[d.rep_id].picked == wanted[d.rep_id]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_picks_never_repeat_a_call_or_break_a_reviewer_rule(
    case: tuple[list[RepDayInput], list[Reviewer], datetime],
) -> None:
    inputs, reviewers, now = case
    inputs = _as_of(inputs, now)
    plan = plan_day(inputs, reviewers, now)
    ids = [p.call_id for p in plan.picks]
    assert len(ids) == len(set(ids)), "no call is picked twice"
    by_id = {r.id: r for r in reviewers}
    calls = {c.id: c for d in inputs for c in d.calls}
    policies = {d.rep_id: d.policy for d in inputs}
    for pick in plan.picks:
        source = calls[pick.call_id]
        assert source.rep_id == pick.rep_id
        assert source.state is CallState.SCORED and not source.taken
        assert source.duration_s >= policies[pick.rep_id].min_duration_s
        assert pick.detail
        if pick.reviewer_id is None:
            continue
        assert pick.reviewer_id != pick.rep_id, "no self-review"
        chosen = by_id[pick.reviewer_id]
        if policies[pick.rep_id].exclude_own_team:
            assert chosen.team_id != source.team_id
        assert chosen.speaks(source.language)
    load = Counter(p.reviewer_id for p in plan.picks if p.reviewer_id is not None)
    for reviewer_id, count in load.items():
        assert count <= by_id[reviewer_id].remaining
    for d in inputs:
        outcome = plan.outcomes[d.rep_id]
        assert outcome.picked <= d.policy.target
        if outcome.assigned < outcome.target:
            assert outcome.reason is not None, "a shortfall always carries its reason"
        else:
            assert outcome.reason is None


# Selection ------------------------------------------------------------------------------


def test_random_picks_are_spread_over_the_parts_of_the_day() -> None:
    policy = Policy(target=2, risk_share=0)  # parts: 09:00-13:30 and 13:30-18:00
    morning = [call(i, 1, 9 + i * 0.5) for i in range(1, 7)]  # 09:30-12:00
    afternoon = [call(i, 1, 13.5 + (i - 10) * 0.5) for i in range(11, 17)]  # 14:00-16:30
    started = {c.id: c.started_at for c in morning + afternoon}
    for seed in range(20):
        day = rep_day(1, morning + afternoon, policy=policy, seed=seed, draw_all=False)
        first = plan_day([day], [reviewer(9)], at(13.6)).picks
        assert len(first) == 1 and started[first[0].call_id] < at(13.5), "the morning's pick, at 13:30"
        existing = tuple(ExistingPick(p.call_id, p.slot, p.reviewer_id) for p in first)
        calls = [c._replace(taken=True) if c.id == first[0].call_id else c for c in morning + afternoon]
        later = rep_day(1, calls, policy=policy, seed=seed, draw_all=False, existing=existing)
        second = plan_day([later], [reviewer(9, load=1)], at(18.1)).picks
        assert len(second) == 1 and started[second[0].call_id] >= at(13.5), "the afternoon's, at 18:00"
        assert {p.reason for p in first + second} == {PickReason.RANDOM}


def test_a_review_day_takes_the_calls_since_the_last_review_hours_ended() -> None:
    policy = Policy()  # Monday to Friday, 09:00-18:00 UTC
    monday = day_times(policy, DAY)
    assert monday.start == datetime(2026, 11, 20, 18, tzinfo=UTC), "since Friday's hours ended"
    assert (monday.end, monday.close) == (at(18), at(24))
    assert review_day(policy, at(17.9)) == DAY
    assert review_day(policy, at(18.5)) == date(2026, 11, 24), "after hours: the next day's"
    assert review_day(policy, datetime(2026, 11, 21, 11, tzinfo=UTC)) == DAY, "Saturday: Monday's"
    parts = monday.parts(2)
    assert parts[0].start == monday.start and parts[-1].end == monday.end
    assert [p.draw_at for p in parts] == [at(13.5), at(18)]


def test_a_part_is_drawn_only_once_it_is_over() -> None:
    policy = Policy(target=2, risk_share=0)  # parts: 09:00-13:30 and 13:30-18:00
    calls = [call(1, 1, 9.5), call(2, 1, 10.0), call(3, 1, 14.0)]
    early = plan_day([rep_day(1, calls, policy=policy, draw_all=False)], [reviewer(9)], at(12))
    assert early.picks == []
    assert early.outcomes[1].reason is Shortfall.DAY_IN_PROGRESS
    midday = plan_day([rep_day(1, calls, policy=policy, draw_all=False)], [reviewer(9)], at(13.6))
    assert [p.call_id for p in midday.picks] in ([1], [2])
    assert midday.picks[0].slot == "w1"


def test_a_part_waits_for_its_calls_still_in_the_pipeline() -> None:
    policy = Policy(target=1, risk_share=0)
    calls = [call(1, 1, 10), call(2, 1, 11, state=CallState.PROCESSING)]
    waiting = plan_day([rep_day(1, calls, policy=policy, draw_all=False)], [reviewer(9)], at(19))
    assert waiting.picks == []
    done = [call(1, 1, 10), call(2, 1, 11)]
    ready = plan_day([rep_day(1, done, policy=policy, draw_all=False)], [reviewer(9)], at(19))
    assert len(ready.picks) == 1


def test_a_critical_fail_is_picked_as_soon_as_it_is_scored() -> None:
    policy = Policy(target=2, risk_share=0.5)
    calls = [call(1, 1, 9.2), call(2, 1, 9.4, critical_failed=True, final_score=0.0), call(3, 1, 9.6)]
    plan = plan_day([rep_day(1, calls, policy=policy, draw_all=False)], [reviewer(9)], at(9.7))
    assert [(p.call_id, p.reason) for p in plan.picks] == [(2, PickReason.RISK)]
    assert "critical" in plan.picks[0].detail


def test_risk_slots_take_the_riskiest_flagged_call() -> None:
    policy = Policy(target=1, risk_share=1.0, low_score=70)
    calls = [
        call(1, 1, 10, final_score=95.0),
        call(2, 1, 11, final_score=60.0),
        call(3, 1, 12, final_score=20.0, needs_review=2),
        call(4, 1, 13, final_score=90.0, asr_confidence=0.4),
    ]
    plan = plan_day([rep_day(1, calls, policy=policy)], [reviewer(9)], at(30))
    assert [p.call_id for p in plan.picks] == [3]
    assert plan.picks[0].detail == ("Flagged by the automatic checks: score 20; 2 checks left to a person")


def test_a_rep_in_coaching_gets_the_call_that_tests_the_focus_in_the_risk_slot() -> None:
    policy = Policy(target=1, risk_share=1.0, low_score=70)
    calls = [
        call(1, 1, 10, final_score=20.0, needs_review=2),  # the riskiest otherwise
        call(2, 1, 11, final_score=95.0, focus_hits=1),  # a clean call, but it failed the focus item
        call(3, 1, 12, critical_failed=True, final_score=0.0, focus_hits=1),
    ]
    plan = plan_day([rep_day(1, calls[:2], policy=policy)], [reviewer(9)], at(30))
    assert [(p.call_id, p.reason) for p in plan.picks] == [(2, PickReason.RISK)]
    assert "1 coaching focus item failed or left to a person" in plan.picks[0].detail
    plan = plan_day([rep_day(1, calls, policy=policy)], [reviewer(9)], at(30))
    assert [p.call_id for p in plan.picks] == [3]  # a critical fail still comes first


def test_the_share_of_risk_picks_follows_the_policy() -> None:
    calls = [call(i, 1, 8 + i, final_score=40.0 if i % 2 else 95.0) for i in range(1, 11)]
    plan = plan_day([rep_day(1, calls, policy=Policy(target=4, risk_share=0.5))], [reviewer(9)], at(30))
    assert Counter(p.reason for p in plan.picks) == {PickReason.RISK: 2, PickReason.RANDOM: 2}


def test_random_draws_are_uniform_over_the_eligible_calls() -> None:
    policy = Policy(target=1, risk_share=0)
    calls = [call(i, 1, 9 + i) for i in range(1, 6)]
    counts = Counter(
        plan_day([rep_day(1, calls, policy=policy, seed=seed)], [reviewer(9)], at(30)).picks[0].call_id
        for seed in range(2000)
    )
    assert set(counts) == {1, 2, 3, 4, 5}
    assert all(300 <= n <= 500 for n in counts.values()), counts  # 400 expected each


def test_the_same_seed_draws_the_same_calls() -> None:
    calls = [call(i, 1, 9 + i / 2) for i in range(1, 15)]
    first = plan_day([rep_day(1, calls, seed=42)], [reviewer(9)], at(30)).picks
    again = plan_day([rep_day(1, calls, seed=42)], [reviewer(9)], at(30)).picks
    assert first == again
    others = {
        tuple(p.call_id for p in plan_day([rep_day(1, calls, seed=s)], [reviewer(9)], at(30)).picks)
        for s in range(30)
    }
    assert len(others) > 5, "other seeds draw other calls"


def test_existing_picks_are_kept_and_count_towards_the_target() -> None:
    calls = [call(i, 1, 9 + i) for i in range(1, 8)]
    first = plan_day([rep_day(1, calls, draw_all=False)], [reviewer(9)], at(14))
    assert len(first.picks) == 1
    existing = tuple(ExistingPick(p.call_id, p.slot, p.reviewer_id) for p in first.picks)
    later = plan_day([rep_day(1, calls, existing=existing)], [reviewer(9, load=1)], at(30))
    assert len(later.picks) == 1
    assert later.picks[0].call_id != first.picks[0].call_id
    assert later.outcomes[1].picked == 2
    chosen_by_a_person = (ExistingPick(5, "manual", 9), ExistingPick(6, "manual", 9))
    full = plan_day([rep_day(1, calls, existing=chosen_by_a_person)], [reviewer(9, load=2)], at(30))
    assert full.picks == [] and full.outcomes[1].reason is None


# Shortfalls ------------------------------------------------------------------------------


def test_a_rep_short_of_calls_gets_all_they_have_and_the_reason() -> None:
    cases = {
        Shortfall.NO_CALLS: [],
        Shortfall.FEW_CALLS: [call(1, 1, 10)],
        Shortfall.CALLS_TOO_SHORT: [call(1, 1, 10), call(2, 1, 11, duration_s=5.0)],
        Shortfall.STILL_PROCESSING: [call(1, 1, 10), call(2, 1, 11, state=CallState.PROCESSING)],
        Shortfall.CALLS_FAILED: [call(1, 1, 10), call(2, 1, 11, state=CallState.FAILED)],
        Shortfall.ALREADY_REVIEWED: [call(1, 1, 10), call(2, 1, 11, taken=True)],
    }
    for reason, calls in cases.items():
        plan = plan_day([rep_day(1, calls)], [reviewer(9)], at(30))
        outcome = plan.outcomes[1]
        assert outcome.reason is reason, (reason, outcome)
        assert outcome.picked == outcome.eligible == (1 if calls else 0)


def test_capacity_shortfalls_say_whether_anyone_could_have_taken_the_call() -> None:
    calls = [call(1, 1, 10, language="ro"), call(2, 1, 15, language="ro")]
    full = plan_day([rep_day(1, calls)], [reviewer(9, capacity=1, languages=frozenset({"ro"}))], at(30))
    assert full.outcomes[1].assigned == 1
    assert full.outcomes[1].reason is Shortfall.NO_REVIEWER_CAPACITY
    nobody = plan_day([rep_day(1, calls)], [reviewer(9, languages=frozenset({"en"}))], at(30))
    assert nobody.outcomes[1].assigned == 0 and nobody.outcomes[1].picked == 2
    assert nobody.outcomes[1].reason is Shortfall.NO_ELIGIBLE_REVIEWER
    assert all(p.reviewer_id is None for p in nobody.picks), "unassigned picks wait in the open pool"


# Allocation ------------------------------------------------------------------------------


def test_work_is_balanced_across_reviewers_by_capacity() -> None:
    demand = {rep: 2 for rep in range(1, 31)}
    groups = {Group(rep, 1, "en"): 5 for rep in demand}
    team = [reviewer(101, 40), reviewer(102, 40), reviewer(103, 20), reviewer(104, 20, load=10)]
    result = allocate(demand, groups, team)
    load = Counter(r for ids in result.values() for r in ids)
    assert sum(load.values()) == 60
    shares = {r.id: (r.load + load[r.id]) / r.capacity for r in team}
    assert max(shares.values()) - min(shares.values()) <= 0.06, shares


def test_scarce_capacity_gives_every_rep_one_review_before_anyone_gets_two() -> None:
    demand = {rep: 2 for rep in range(1, 6)}
    groups = {Group(rep, 1, "en"): 4 for rep in demand}
    result = allocate(demand, groups, [reviewer(100, 6)])
    per_rep = Counter(group.rep_id for group, ids in result.items() for _ in ids)
    assert sum(per_rep.values()) == 6
    assert set(per_rep) == set(demand)


def test_a_multilingual_reviewer_is_kept_for_the_language_only_they_speak() -> None:
    demand = {1: 1, 2: 1}
    groups = {Group(1, 1, "en"): 1, Group(2, 1, "ro"): 1}
    both = reviewer(100, 1, languages=frozenset({"en", "ro"}))
    english = reviewer(101, 1, languages=frozenset({"en"}))
    result = allocate(demand, groups, [both, english])
    assert result == {Group(1, 1, "en"): [101], Group(2, 1, "ro"): [100]}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_planning_again_with_nothing_new_picks_nothing(
    case: tuple[list[RepDayInput], list[Reviewer], datetime],
) -> None:
    inputs, reviewers, now = case
    draw_all = now >= at(24)
    inputs = _as_of(inputs, now)
    first = plan_day(inputs, reviewers, now)
    picked = {p.call_id: p for p in first.picks}
    load = Counter(p.reviewer_id for p in first.picks if p.reviewer_id is not None)
    again_inputs = [
        rep_day(
            d.rep_id,
            [c if c.id not in picked else c._replace(taken=True) for c in d.calls],
            team_id=d.team_id,
            policy=d.policy,
            seed=d.seed,
            draw_all=draw_all,
            existing=tuple(
                ExistingPick(p.call_id, p.slot, p.reviewer_id) for p in first.picks if p.rep_id == d.rep_id
            ),
        )
        for d in inputs
    ]
    busier = [Reviewer(r.id, r.team_id, r.languages, r.capacity, r.load + load[r.id]) for r in reviewers]
    assert plan_day(again_inputs, busier, now).picks == [], "every due slot was filled the first time"
