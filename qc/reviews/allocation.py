"""Who reviews what: picks shared among reviewers as a maximum flow.

Reviewers have a remaining capacity for the day and may be barred from some calls: a
language they do not speak, their own calls, their own team's calls where the team asks
for that. Calls that every reviewer treats alike (same rep, team and language) form a
group; reviewers that every group treats alike form a class. The flow runs
source -> rep -> group -> class -> sink, so its size is reps + groups + classes, not
calls x reviewers, and a maximum flow is a largest possible set of assignments.

Fairness is layered on top. Reps' capacities are raised in two steps, which an
augmenting-path algorithm allows (a flow stays valid when capacities grow, and flow out
of the source never shrinks): first every rep may get one review, then the rest. Then
picks move between reviewer classes that may both take them, from the fuller class to
the emptier one, and within a class the least loaded reviewer (relative to capacity)
goes first.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Reviewer:
    id: int
    team_id: int | None
    languages: frozenset[str]  # empty: every language
    capacity: int
    load: int = 0  # already assigned in that day's queue

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.load)

    def speaks(self, language: str | None) -> bool:
        return not self.languages or language is None or language in self.languages


class Group(NamedTuple):
    """Calls every reviewer treats alike."""

    rep_id: int
    team_id: int
    language: str | None


def may_review(reviewer: Reviewer, group: Group, *, exclude_own_team: bool) -> bool:
    """Never one's own calls; never one's own team's where the team says so; only known languages."""
    if reviewer.id == group.rep_id:
        return False
    if exclude_own_team and reviewer.team_id == group.team_id:
        return False
    return reviewer.speaks(group.language)


# Max flow (Dinic) ---------------------------------------------------------------------------------


class _Network:
    def __init__(self) -> None:
        self.head: list[list[int]] = []  # node -> edge indices
        self.to: list[int] = []
        self.cap: list[int] = []  # residual capacity

    def node(self) -> int:
        self.head.append([])
        return len(self.head) - 1

    def edge(self, a: int, b: int, capacity: int) -> int:
        self.head[a].append(len(self.to))
        self.to.append(b)
        self.cap.append(capacity)
        self.head[b].append(len(self.to))
        self.to.append(a)
        self.cap.append(0)
        return len(self.to) - 2

    def flow(self, edge: int) -> int:
        return self.cap[edge ^ 1]

    def raise_to(self, edge: int, capacity: int) -> None:
        """Set an edge's capacity to at least its current flow and at least `capacity`."""
        total = self.cap[edge] + self.cap[edge ^ 1]
        if capacity > total:
            self.cap[edge] += capacity - total

    def augment(self, source: int, sink: int) -> int:
        total = 0
        while True:
            level = self._levels(source, sink)
            if level[sink] < 0:
                return total
            cursor = [0] * len(self.head)
            while True:
                pushed = self._push(source, sink, math.inf, level, cursor)
                if not pushed:
                    break
                total += int(pushed)

    def _levels(self, source: int, sink: int) -> list[int]:
        level = [-1] * len(self.head)
        level[source] = 0
        frontier = [source]
        while frontier:
            following = []
            for node in frontier:
                for e in self.head[node]:
                    nxt = self.to[e]
                    if self.cap[e] > 0 and level[nxt] < 0:
                        level[nxt] = level[node] + 1
                        following.append(nxt)
            frontier = following
        return level

    def _push(self, node: int, sink: int, limit: float, level: list[int], cursor: list[int]) -> float:
        if node == sink:
            return limit
        edges = self.head[node]
        while cursor[node] < len(edges):
            e = edges[cursor[node]]
            nxt = self.to[e]
            if self.cap[e] > 0 and level[nxt] == level[node] + 1:
                pushed = self._push(nxt, sink, min(limit, self.cap[e]), level, cursor)
                if pushed:
                    self.cap[e] -= int(pushed)
                    self.cap[e ^ 1] += int(pushed)
                    return pushed
            cursor[node] += 1
        return 0


# Allocation ---------------------------------------------------------------------------------------


def _class_key(
    reviewer: Reviewer, rep_ids: frozenset[int], excluding_teams: frozenset[int]
) -> tuple[object, ...]:
    own_team = reviewer.team_id if reviewer.team_id in excluding_teams else None
    itself = reviewer.id if reviewer.id in rep_ids else None
    return (tuple(sorted(reviewer.languages)), own_team, itself)


def allocate(
    demand: dict[int, int],
    groups: dict[Group, int],
    reviewers: Sequence[Reviewer],
    *,
    excluding_teams: Iterable[int] = (),
) -> dict[Group, list[int]]:
    """Share out picks: `demand[rep]` picks per rep, at most `groups[g]` from group g.

    Returns, per group, the reviewer ids its picks go to (one per pick); the number of
    picks is as large as the reviewers' constraints and capacities allow.
    """
    excluding = frozenset(excluding_teams)
    available = [r for r in reviewers if r.remaining > 0]
    if not available or not demand or not groups:
        return {}
    classes: dict[tuple[object, ...], list[Reviewer]] = defaultdict(list)
    rep_ids = frozenset(g.rep_id for g in groups)
    for reviewer in available:
        classes[_class_key(reviewer, rep_ids, excluding)].append(reviewer)
    members = list(classes.values())

    net = _Network()
    source, sink = net.node(), net.node()
    rep_node = {rep: net.node() for rep in sorted(demand)}
    rep_edge = {rep: net.edge(source, node, 0) for rep, node in rep_node.items()}
    class_node = [net.node() for _ in members]
    for index, node in enumerate(class_node):
        net.edge(node, sink, sum(r.remaining for r in members[index]))
    group_edges: dict[Group, list[tuple[int, int]]] = {}
    for group in sorted(groups, key=_group_order):
        if group.rep_id not in rep_node or groups[group] <= 0:
            continue
        node = net.node()
        net.edge(rep_node[group.rep_id], node, groups[group])
        excludes = group.team_id in excluding
        group_edges[group] = [
            (index, net.edge(node, class_node[index], groups[group]))
            for index, group_members in enumerate(members)
            if may_review(group_members[0], group, exclude_own_team=excludes)
        ]
    # Every rep one review first, then the rest: flows out of the source never shrink.
    for per_rep in (1, None):
        for rep, edge in rep_edge.items():
            net.raise_to(edge, demand[rep] if per_rep is None else min(per_rep, demand[rep]))
        net.augment(source, sink)
    counts = {g: {index: net.flow(edge) for index, edge in edges} for g, edges in group_edges.items()}
    _balance(counts, members)
    return _to_reviewers(counts, members)


def _balance(counts: dict[Group, dict[int, int]], members: list[list[Reviewer]]) -> None:
    """Move picks between reviewer classes that may both take them, from the fuller class
    (load relative to capacity) to the emptier one, while that lowers the fuller one."""
    capacity = [sum(r.capacity for r in group) for group in members]
    load = [sum(r.load for r in group) for group in members]
    for per_class in counts.values():
        for index, flow in per_class.items():
            load[index] += flow
    moved = True
    while moved:
        moved = False
        for per_class in counts.values():
            for source in list(per_class):
                while per_class[source] > 0:
                    options = [i for i in per_class if i != source and load[i] < capacity[i]]
                    if not options:
                        break
                    target = min(options, key=lambda i: ((load[i] + 1) / capacity[i], i))
                    if (load[target] + 1) / capacity[target] >= load[source] / capacity[source]:
                        break
                    per_class[source] -= 1
                    per_class[target] += 1
                    load[source] -= 1
                    load[target] += 1
                    moved = True


def _group_order(group: Group) -> tuple[int, int, str]:
    return (group.rep_id, group.team_id, group.language or "")


def _to_reviewers(
    counts: dict[Group, dict[int, int]], members: list[list[Reviewer]]
) -> dict[Group, list[int]]:
    """Turn picks per (group, class) into reviewer ids, least loaded reviewer first."""
    heaps: list[list[tuple[float, int, int, int]]] = []
    for reviewers in members:  # (load share, id, load, capacity)
        heap = [(r.load / r.capacity, r.id, r.load, r.capacity) for r in reviewers]
        heapq.heapify(heap)
        heaps.append(heap)
    result: dict[Group, list[int]] = {}
    for group, per_class in counts.items():
        chosen: list[int] = []
        for index, flow in per_class.items():
            for _ in range(flow):
                _, reviewer_id, load, capacity = heapq.heappop(heaps[index])
                chosen.append(reviewer_id)
                if load + 1 < capacity:
                    heapq.heappush(heaps[index], ((load + 1) / capacity, reviewer_id, load + 1, capacity))
        if chosen:
            result[group] = chosen
    return result
