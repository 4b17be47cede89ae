"""`watchnext data report`: an EDA report of a prepared dataset, Markdown plus PNG plots,
like the original notebook's analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from watchnext.datasets.engine import count_of, dataset_csv, run
from watchnext.datasets.errors import DatasetError
from watchnext.domain.events import CLICK


@dataclass(frozen=True)
class Summary:
    interactions: int
    users: int
    items: int
    mean_rating: float
    per_user_mean: float
    per_user_median: float
    per_item_mean: float
    per_item_median: float
    top_20pct_items_share: float
    first: str
    last: str

    @property
    def density(self) -> float:
        return self.interactions / (self.users * self.items) if self.users and self.items else 0.0


def _summary(con: duckdb.DuckDBPyConnection) -> Summary:
    row = run(
        con,
        """
        WITH per_user AS (SELECT count(*) n FROM i GROUP BY USER_ID),
             per_item AS (SELECT count(*) n FROM i GROUP BY ITEM_ID),
             ranked AS (SELECT n, row_number() OVER (ORDER BY n DESC) r, count(*) OVER () k
                        FROM per_item)
        SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM per_user),
               (SELECT count(*) FROM per_item), (SELECT avg(EVENT_VALUE) FROM i WHERE rated),
               (SELECT avg(n) FROM per_user), (SELECT median(n) FROM per_user),
               (SELECT avg(n) FROM per_item), (SELECT median(n) FROM per_item),
               (SELECT sum(n) FILTER (WHERE r <= ceil(0.2 * k)) / sum(n) FROM ranked),
               (SELECT min(TIMESTAMP) FROM i), (SELECT max(TIMESTAMP) FROM i)
        """,
    )[0]

    def day(ts: object) -> str:
        return datetime.fromtimestamp(int(str(ts)), UTC).date().isoformat()

    return Summary(
        int(str(row[0])),
        int(str(row[1])),
        int(str(row[2])),
        float(str(row[3])),
        float(str(row[4])),
        float(str(row[5])),
        float(str(row[6])),
        float(str(row[7])),
        float(str(row[8])),
        day(row[9]),
        day(row[10]),
    )


def _plots(con: duckdb.DuckDBPyConnection, out: Path) -> list[tuple[str, str, str]]:
    """The plots, each as (file, title, a sentence on what it shows for this dataset)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    made = []

    def save(name: str, title: str, commentary: str) -> None:
        plt.title(title)
        plt.tight_layout()
        plt.savefig(out / name, dpi=110)
        plt.close()
        made.append((name, title, commentary))

    def readable_log_axes() -> None:
        """Labels at 1, 2 and 5 times the powers of ten, written as numbers (20, 50, 1,000)."""
        axes = plt.gca()
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            axis.set_minor_formatter(NullFormatter())

    total = count_of(con, "SELECT count(*) FROM i")
    ratings = run(
        con,
        "SELECT round(EVENT_VALUE * 2) / 2 v, count(*) FROM i WHERE rated GROUP BY v ORDER BY v",
    )
    plt.figure(figsize=(6, 3.5))
    plt.bar(
        [f"{float(str(r[0])):g}" for r in ratings],
        [int(str(r[1])) for r in ratings],
        color="#3b6ea5",
    )
    plt.xlabel("rating (EVENT_VALUE)")
    plt.ylabel("interactions")
    common = max(ratings, key=lambda r: int(str(r[1])))
    save(
        "ratings.png",
        "Rating histogram",
        f"The most common rating is {float(str(common[0])):g}, given in "
        f"{int(str(common[1])) / total:.0%} of the interactions.",
    )

    for key, label, name in (
        ("USER_ID", "user", "per_user.png"),
        ("ITEM_ID", "item", "per_item.png"),
    ):
        rows = run(
            con,
            f"SELECT n, count(*) FROM (SELECT count(*) n FROM i GROUP BY {key}) "
            "GROUP BY n ORDER BY n",
        )
        counts = [int(str(r[0])) for r in rows]
        plt.figure(figsize=(6, 3.5))
        plt.loglog(counts, [int(str(r[1])) for r in rows], "o", ms=3, color="#3b6ea5")
        readable_log_axes()
        plt.xlabel(f"interactions per {label} (log scale)")
        plt.ylabel(f"{label}s (log scale)")
        median, most = (
            count_of(con, f"SELECT median(n) FROM (SELECT count(*) n FROM i GROUP BY {key})"),
            max(counts),
        )
        save(
            name,
            f"Interactions per {label}",
            f"Half the {label}s have at most {median:,} interactions; the busiest {label} has "
            f"{most:,}. Each dot is how many {label}s share one count.",
        )

    months = run(
        con,
        "SELECT date_trunc('month', to_timestamp(TIMESTAMP)) m, count(*) FROM i "
        "GROUP BY m ORDER BY m",
    )
    plt.figure(figsize=(7, 3.5))
    plt.plot([r[0] for r in months], [int(r[1]) for r in months], color="#3b6ea5")
    plt.gcf().autofmt_xdate()
    plt.ylabel("interactions per month")
    busiest = max(months, key=lambda r: int(r[1]))
    save(
        "activity.png",
        "Activity over time",
        f"The busiest month, {busiest[0]:%Y-%m}, holds {int(busiest[1]) / total:.0%} of the "
        f"interactions, over {len(months)} months in all.",
    )

    shares = run(
        con,
        """SELECT row_number() OVER (ORDER BY n DESC) / count(*) OVER () AS items_share,
                  sum(n) OVER (ORDER BY n DESC ROWS UNBOUNDED PRECEDING) / sum(n) OVER ()
           FROM (SELECT count(*) n FROM i GROUP BY ITEM_ID) ORDER BY 1""",
    )
    step = max(1, len(shares) // 2000)
    sampled = shares[::step] + shares[-1:]
    plt.figure(figsize=(5, 4))
    plt.plot(
        [float(str(s[0])) for s in sampled], [float(str(s[1])) for s in sampled], color="#3b6ea5"
    )
    plt.plot([0, 1], [0, 1], "--", color="grey", lw=0.8)
    plt.xlabel("share of items, most popular first")
    plt.ylabel("share of interactions")
    top_fifth = next(float(str(s[1])) for s in shares if float(str(s[0])) >= 0.2)
    save(
        "long_tail.png",
        "Long tail",
        f"The most popular 20% of items take {top_fifth:.0%} of the interactions; the dashed "
        "line is what an even spread would look like.",
    )
    return made


def write_report(dataset: Path, out: Path) -> Path:
    """Write ``out/REPORT.md`` and its plots for the dataset folder ``dataset``."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    run(
        con,
        f"CREATE TEMP TABLE i AS SELECT USER_ID, ITEM_ID, TIMESTAMP::BIGINT AS TIMESTAMP, "
        f"EVENT_VALUE::DOUBLE AS EVENT_VALUE, EVENT_TYPE IS DISTINCT FROM '{CLICK}' AS rated "
        f"FROM {dataset_csv(dataset / 'interactions.csv')}",
    )
    if count_of(con, "SELECT count(*) FROM i") == 0:
        con.close()
        raise DatasetError(f"{dataset}: no interactions to describe")
    summary = _summary(con)
    plots = _plots(con, out)
    top = []
    if (dataset / "items.csv").exists():
        top = run(
            con,
            f"""SELECT i.ITEM_ID, coalesce(c.TITLE, i.ITEM_ID), count(*) n FROM i
                LEFT JOIN {dataset_csv(dataset / "items.csv")} c USING (ITEM_ID)
                GROUP BY ALL ORDER BY n DESC, i.ITEM_ID LIMIT 10""",
        )
    con.close()
    s = summary
    lines = [
        f"# Dataset report: {dataset.name}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| interactions | {s.interactions:,} |",
        f"| users | {s.users:,} |",
        f"| items | {s.items:,} |",
        f"| density | {s.density:.6f} |",
        f"| mean rating | {s.mean_rating:.2f} |",
        f"| interactions per user, mean / median | {s.per_user_mean:.2f} / {s.per_user_median:g} |",
        f"| interactions per item, mean / median | {s.per_item_mean:.1f} / {s.per_item_median:g} |",
        f"| share of interactions on the top 20% of items | {s.top_20pct_items_share:.1%} |",
        f"| time range | {s.first} to {s.last} |",
        "",
    ]
    if top:
        lines += [
            "## Most interacted items",
            "",
            "| item | title | interactions |",
            "|---|---|---|",
        ]
        lines += [f"| {r[0]} | {str(r[1]).replace('|', '/')} | {int(str(r[2])):,} |" for r in top]
        lines.append("")
    for name, title, commentary in plots:
        lines += [f"## {title}", "", commentary, "", f"![{title}]({name})", ""]
    report = out / "REPORT.md"
    report.write_text("\n".join(lines))
    return report
