"""The legacy Amazon customer reviews TSV layout (``amazon_reviews_us_*.tsv.gz``)."""

from __future__ import annotations

COLUMNS = (
    "marketplace",
    "customer_id",
    "review_id",
    "product_id",
    "product_parent",
    "product_title",
    "product_category",
    "star_rating",
    "helpful_votes",
    "total_votes",
    "vine",
    "verified_purchase",
    "review_headline",
    "review_body",
    "review_date",
)
"""The 15 tab-separated columns, in file order; the first line of a file is this header."""

DEDUP_COLUMNS = tuple(column for column in COLUMNS if column != "review_id")
"""The original notebook dropped rows equal in every column but review_id."""

PYTHON_WHITESPACE = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What Python's str.strip() removes; the notebook keyed items by stripped titles."""
