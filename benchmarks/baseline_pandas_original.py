"""The original notebook's preparation, in pandas (the baseline `prepare --preset original`
is measured against). Reads the whole dump into memory, as the notebook did.

Usage: python -m benchmarks.baseline_pandas_original INPUT.tsv.gz OUT.csv
"""

from __future__ import annotations

import csv
import sys

import pandas as pd

from watchnext.datasets.amazon_tsv import COLUMNS, DEDUP_COLUMNS


def prepare_like_the_notebook(source: str, target: str) -> int:
    # Quoting off, as the dumps hold stray '"'; lines with too many fields are skipped;
    # na_filter off so that a title such as "NA" stays a title.
    reviews = pd.read_csv(
        source,
        sep="\t",
        quoting=csv.QUOTE_NONE,
        on_bad_lines="skip",
        dtype=str,
        na_filter=False,
        header=0,
        names=list(COLUMNS),
        engine="c",
    )
    reviews["date"] = pd.to_datetime(reviews["review_date"], format="%Y-%m-%d", errors="coerce")
    reviews["rating"] = pd.to_numeric(reviews["star_rating"], errors="coerce")
    reviews = reviews[(reviews["date"] >= "2011-01-01") & reviews["rating"].notna()]
    reviews = reviews.drop_duplicates(subset=list(DEDUP_COLUMNS))
    reviews["ITEM_ID"] = reviews["product_title"].str.strip()
    reviews = reviews[(reviews["ITEM_ID"] != "") & (reviews["customer_id"] != "")]
    reviews["TIMESTAMP"] = (reviews["date"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    interactions = (
        reviews.groupby(["customer_id", "ITEM_ID"], sort=False)
        .agg(
            TIMESTAMP=("TIMESTAMP", "max"),
            EVENT_VALUE=("rating", "mean"),
            EVENT_VERIFIED_PURCHASE=("verified_purchase", "max"),
        )
        .reset_index()
        .rename(columns={"customer_id": "USER_ID"})
    )
    interactions["EVENT_TYPE"] = "RATING"
    interactions = interactions[
        ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "EVENT_VERIFIED_PURCHASE"]
    ].sort_values(["USER_ID", "TIMESTAMP", "ITEM_ID", "EVENT_VALUE"])
    interactions.to_csv(target, index=False)
    return len(interactions)


if __name__ == "__main__":
    print(prepare_like_the_notebook(sys.argv[1], sys.argv[2]))
