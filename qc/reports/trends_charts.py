"""The trends page's charts, each built from one or two of `trends_repository`'s counts:
the series the SVG draws and the table under it (which is also its CSV)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.evaluations import agreement, outcomes
from qc.evaluations.agreement import AgreementReport, ItemAgreement
from qc.reports import trends_repository as repo
from qc.scoring import service as scoring
from qc.users import service as users
from qc.users.models import Team, User

Cell = str | int | float | None
WORST_ITEMS = 3  # drawn as lines; the heat map lists every item
TOP_REVIEWERS = 5


@dataclass(frozen=True)
class Context:
    team: Team
    teams: list[Team]
    rep: User | None
    reps: list[User]
    weeks: list[date]  # Mondays, oldest first
    months: list[date]  # first days, oldest first
    zone: ZoneInfo
    scope: repo.Scope  # by week
    month_scope: repo.Scope  # by month
    scorecard: str  # chosen, or ""
    today: date
    note: str = ""  # a filter dropped (a rep not in the team)

    @property
    def labels(self) -> list[str]:
        return [week_label(week) for week in self.weeks]


def week_label(day: date) -> str:
    return f"{day.day} {day:%b}"


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    headings: list[str] | None = None  # shown on the page instead of `columns` (short week names)
    heat_from: int | None = None  # shade the rates of the columns from this one on (a heat map)
    percent: frozenset[int] = frozenset()  # columns of rates: one decimal and "%" on the page
    pinned: int | None = None  # a column also shown beside the row's name (kept in view as it)

    @property
    def heads(self) -> list[tuple[str, str]]:
        """(column, heading) pairs."""
        return list(zip(self.columns, self.headings or self.columns, strict=True))

    @property
    def shown(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Each row as the page shows it: its name, then (text, CSS class) per cell (formatted
        here rather than cell by cell in the template, which cost more than the queries)."""
        return [(display(row[0]), [self._cell(i, v) for i, v in enumerate(row[1:], 1)]) for row in self.rows]

    @property
    def pinned_texts(self) -> list[str]:
        """The pinned column's value of each row, as shown ("" without a pinned column)."""
        if self.pinned is None:
            return ["" for _ in self.rows]
        return [self._text(self.pinned, row[self.pinned]) for row in self.rows]

    def _text(self, index: int, value: Cell) -> str:
        if index in self.percent and isinstance(value, int | float):
            return f"{value:.1f}%"
        return display(value)

    def _cell(self, index: int, value: Cell) -> tuple[str, str]:
        if self.heat_from is not None and index >= self.heat_from and isinstance(value, int | float):
            return self._text(index, value), f"num heat-{min(5, math.ceil(value / 20))}"
        return self._text(index, value), "num"


def display(value: Cell) -> str:
    """A cell as text: nothing to count is a dash, 75.0 reads 75."""
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def week_table(ctx: Context, before: list[str], rows: list[list[Cell]]) -> Table:
    """A table of `before` columns (a name and its totals) then one column per week, oldest
    first: on a phone the box opens at this week, beside the name."""
    return Table([*before, *(week.isoformat() for week in ctx.weeks)], rows, [*before, *ctx.labels])


@dataclass(frozen=True)
class Line:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """`kind` says how the template draws it: "lines" over `labels`, "bars" (one bar per
    label, the first line's values), "multiples" (a small line per line) or "heatmap"."""

    key: str
    title: str
    note: str
    kind: str
    labels: list[str]
    lines: list[Line]
    table: Table
    top: float = 100.0
    unit: str = "%"
    empty: str = ""  # what to say when there is nothing to draw
    axis: str = ""  # what the vertical axis counts, when its unit does not say
    short: str = ""  # its name in the page's list of charts

    @property
    def has_data(self) -> bool:
        return any(v is not None for line in self.lines for v in line.values)


@dataclass(frozen=True)
class Built:
    charts: dict[str, Chart]
    scorecards: dict[str, str]  # id -> title of the scorecards found
    scorecard: str = ""  # the one the charts show ("" for all)


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _average(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def nice_top(values: Iterable[float | None], floor: float = 4.0) -> float:
    """A round, even upper bound for a count axis (4, 10, 20, 40, 50, 100...), so the middle
    grid line is a whole number too."""
    peak = max([v for v in values if v is not None] + [floor])
    step = 10 ** math.floor(math.log10(peak))
    return float(next(m * step for m in (1, 2, 4, 5, 10) if m * step >= peak and m * step % 2 == 0))


# Review scores --------------------------------------------------------------------------------------


def review_charts(session: Session, ctx: Context) -> Built:
    """The team's (and chosen rep's) average review score by week, and every rep's."""
    counts = repo.score_counts(session, ctx.scope)
    cards = scoring.definitions_by_version(session, {c.version_id for c in counts})
    found = {card.id: card.title for card in cards.values()}
    if ctx.scorecard:
        counts = [c for c in counts if cards[c.version_id].id == ctx.scorecard]
    size = len(ctx.weeks)
    sums: dict[int | None, list[list[float]]] = defaultdict(lambda: [[0.0, 0.0, 0.0] for _ in range(size)])
    for count in counts:
        for key in (None, count.rep_id):  # None: the team
            cell = sums[key][count.week]
            cell[0] += count.reviews
            cell[1] += count.scored
            cell[2] += count.score_sum
    return Built({"score": _score_chart(ctx, sums), "reps": _reps_chart(ctx, sums)}, found)


def _averages(cells: list[list[float]]) -> list[float | None]:
    return [_average(total, int(scored)) for _, scored, total in cells]


def _score_chart(ctx: Context, sums: dict[int | None, list[list[float]]]) -> Chart:
    team = sums[None]
    lines = [Line(ctx.team.name, _averages(team))]
    columns = ["Week", "Team reviews", "Team average"]
    if ctx.rep is not None:
        lines.insert(0, Line(ctx.rep.name, _averages(sums[ctx.rep.id])))
        columns += [f"{ctx.rep.name} reviews", f"{ctx.rep.name} average"]
    rows: list[list[Cell]] = []
    for i, week in enumerate(ctx.weeks):
        row: list[Cell] = [week.isoformat(), int(team[i][0]), lines[-1].values[i]]
        if ctx.rep is not None:
            row += [int(sums[ctx.rep.id][i][0]), lines[0].values[i]]
        rows.append(row)
    return Chart(
        "score",
        "Average review score by week",
        "The reviewers' final scores (0-100) of the calls made each week.",
        "lines",
        ctx.labels,
        lines,
        Table(columns, rows),
        unit="",
        axis="Points (0-100)",
        empty="No reviewed calls in these weeks.",
        short="Score",
    )


def _reps_chart(ctx: Context, sums: dict[int | None, list[list[float]]]) -> Chart:
    lines: list[Line] = []
    rows: list[list[Cell]] = []
    for rep in ctx.reps:
        cells = sums[rep.id] if rep.id in sums else [[0.0, 0.0, 0.0]] * len(ctx.weeks)
        values = _averages(cells)
        lines.append(Line(rep.name, values))
        reviews = int(sum(c[0] for c in cells))
        average = _average(sum(c[2] for c in cells), int(sum(c[1] for c in cells)))
        rows.append([rep.name, reviews, average, *values])
    return Chart(
        "reps",
        "Each rep's average by week",
        "One small chart per rep on the same 0-100 scale; a gap is a week without reviews.",
        "multiples",
        ctx.labels,
        lines,
        week_table(ctx, ["Rep", "Reviews", "Average"], rows),
        axis="Points (0-100)",
        empty="This team has no active reps.",
        short="Each rep",
    )


# Items: failure rates and agreement with the automatic checks -------------------------------------------


def item_charts(session: Session, ctx: Context) -> Built:
    """Per item of one scorecard: failure rate by week, and agreement with its check."""
    counts = repo.answer_counts(session, ctx.scope)
    cards = scoring.definitions_by_version(session, {c.version_id for c in counts})
    volume: dict[str, int] = defaultdict(int)
    for count in counts:
        volume[cards[count.version_id].id] += count.times
    chosen = ctx.scorecard or max(volume, key=lambda k: (volume[k], k), default="")
    mine = [c for c in counts if cards[c.version_id].id == chosen]
    found = {card.id: card.title for card in cards.values()}
    built = {
        "items": _items_chart(session, ctx, chosen, mine),
        "agreement": _agreement_chart(session, chosen, mine),
    }
    return Built(built, found, chosen)


def _items_chart(session: Session, ctx: Context, scorecard: str, counts: list[repo.AnswerCount]) -> Chart:
    # tally_rows groups by its first column: here the week.
    rows = [(c.week, c.version_id, scorecard, c.item_id, c.answer, c.times) for c in counts]
    by_item: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in ctx.weeks])
    for tally in outcomes.tally_rows(session, rows):
        cell = by_item[tally.item_id][tally.rep_id]
        cell[0] += tally.total - tally.passed
        cell[1] += tally.total
    labels = scoring.item_labels(session)
    totals = {item: (sum(c[0] for c in cells), sum(c[1] for c in cells)) for item, cells in by_item.items()}
    ranked = sorted(by_item, key=lambda i: (-(rate(*totals[i]) or 0.0), -totals[i][0], i))
    table_rows: list[list[Cell]] = []
    lines: list[Line] = []
    for item in ranked:
        rates = [rate(failed, total) for failed, total in by_item[item]]
        name = labels.get((scorecard, item), item)
        table_rows.append([name, *totals[item], rate(*totals[item]), *rates])
        if len(lines) < WORST_ITEMS and totals[item][0]:
            lines.append(Line(name, rates))
    return Chart(
        "items",
        "Where the script breaks: failure rate per item by week",
        "The share of reviewed calls that failed each item (n/a left out), worst first; the lines are "
        f"the {WORST_ITEMS} items failed most often.",
        "heatmap",
        ctx.labels,
        lines,
        replace(
            week_table(ctx, ["Item", "Failed", "Answered", "Failure rate"], table_rows),
            heat_from=4,
            percent=frozenset(range(3, 4 + len(ctx.weeks))),
            pinned=3,
        ),
        empty="No item failed in these weeks.",
        short="Items failed",
    )


def _agreement_chart(session: Session, scorecard: str, counts: list[repo.AnswerCount]) -> Chart:
    rows = [(c.item_id, c.auto_status, c.auto_answer, c.answer, c.times) for c in counts]
    items: list[ItemAgreement] = []
    if scorecard:
        version = scoring.get_current(session, scorecard)
        items = AgreementReport(
            version, agreement.tally_counts(scoring.definition(version), rows), 0
        ).worst_first
    shown = [i for i in items if i.reviewed]
    table = Table(
        [
            "Item",
            "Check",
            "Checked",
            "Agreement",
            "Kappa",
            "Check's fails confirmed",
            "Failures caught",
            "Left to reviewer",
        ],
        [
            [
                i.label,
                i.check,
                i.decided,
                _share(i.agreement),
                round(i.kappa, 2) if i.kappa is not None else None,
                _share(i.precision),
                _share(i.recall),
                i.left_to_person,
            ]
            for i in shown
        ],
    )
    decided = [i for i in shown if i.decided]
    return Chart(
        "agreement",
        "Do reviewers agree with the automatic checks?",
        "Per item: the share of reviewed calls where the reviewer's answer was the check's. Kappa "
        'corrects it for chance; a low one is a rule to fix. "Left to reviewer": the check had no verdict.',
        "bars",
        [i.label for i in decided],
        [Line("Agreement", [_share(i.agreement) for i in decided])],
        table,
        empty="No reviewed call had an automatic verdict in these weeks.",
        short="Automatic checks",
    )


def _share(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


# Reviewers -----------------------------------------------------------------------------------------


@dataclass
class _Reviewer:
    weekly: list[int]
    seconds: list[float] = field(default_factory=list)


def reviewer_chart(session: Session, ctx: Context) -> Chart:
    """Reviews submitted per reviewer per week, median minutes on a review, and the share of
    their reviews overturned on dispute."""
    found: dict[int, _Reviewer] = {}
    for reviewer_id, week, seconds in repo.review_times(session, ctx.scope):
        entry = found.setdefault(reviewer_id, _Reviewer([0] * len(ctx.weeks)))
        entry.weekly[week] += 1
        entry.seconds.append(seconds)
    disputed = repo.disputed_reviews(session, ctx.scope)
    names = users.names_of(session, set(found))
    ranked = sorted(found, key=lambda r: (-len(found[r].seconds), names.get(r, "")))
    rows: list[list[Cell]] = []
    for reviewer_id in ranked:
        entry, (opened, overturned) = found[reviewer_id], disputed.get(reviewer_id, (0, 0))
        median = round(statistics.median(entry.seconds) / 60, 1)
        done = len(entry.seconds)
        rows.append(
            [
                names.get(reviewer_id, "?"),
                done,
                median,
                opened,
                overturned,
                rate(overturned, done),
                *entry.weekly,
            ]
        )
    team: list[float | None] = [float(sum(found[r].weekly[i] for r in found)) for i in range(len(ctx.weeks))]
    lines = [Line("All reviewers", team if found else [None] * len(team))]
    lines += [Line(names.get(r, "?"), [float(v) for v in found[r].weekly]) for r in ranked[:TOP_REVIEWERS]]
    table = replace(
        week_table(
            ctx, ["Reviewer", "Reviews", "Median minutes", "Disputed", "Overturned", "Overturned %"], rows
        ),
        percent=frozenset({5}),
    )
    return Chart(
        "reviewers",
        "Reviewer throughput by week (and reviews overturned)",
        "The chart: reviews of this team's calls submitted each week (the work is counted when it was "
        'done). The table adds each reviewer\'s median time on task and "Overturned %": the share of '
        "their reviews that a dispute overturned (an answer changed on resolution).",
        "lines",
        ctx.labels,
        lines,
        table,
        top=nice_top(team),
        unit="",
        axis="Reviews submitted",
        empty="No reviews submitted in these weeks.",
        short="Reviewers",
    )
