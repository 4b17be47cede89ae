"""Small training data with a known answer: two clusters of viewers who rate only their own
cluster's titles, so a model that learns anything recommends within the cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_clusters(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE"]
    for cluster in ("a", "b"):
        for u in range(40):
            for item in rng.choice(15, size=8, replace=False):
                lines.append(
                    f"{cluster}{u},{cluster.upper()}{item},"
                    f"{1_600_000_000 + u * 100 + int(item)},RATING,5"
                )
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n")
    (folder / "items.csv").write_text(
        "ITEM_ID,TITLE,GENRES,YEAR\n"
        + "".join(f"{c}{i},Title {c}{i},,\n" for c in "AB" for i in range(15))
    )
    return folder
