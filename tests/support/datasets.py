"""Small input files in every supported format, written by the tests themselves."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

from watchnext.datasets.amazon_tsv import COLUMNS

HOSTILE_TITLES = (
    'Say "Hello", Goodbye',
    "Tom & Jerry <Classic>",
    "Line one\nline two",
    "Comma, at the end,",
    '"Quoted"',
    "Ünïcödé — 東京",
)


def amazon_row(
    customer: str,
    title: str,
    rating: int | str,
    date: str,
    *,
    review_id: str = "R1",
    product: str = "B000000001",
    verified: str = "Y",
    body: str = "Great film",
) -> str:
    fields = {
        "marketplace": "US",
        "customer_id": customer,
        "review_id": review_id,
        "product_id": product,
        "product_parent": "123456789",
        "product_title": title,
        "product_category": "Digital_Video_Download",
        "star_rating": str(rating),
        "helpful_votes": "0",
        "total_votes": "0",
        "vine": "N",
        "verified_purchase": verified,
        "review_headline": "Five Stars",
        "review_body": body,
        "review_date": date,
    }
    return "\t".join(fields[c] for c in COLUMNS)


def write_amazon_tsv(path: Path, rows: Sequence[str], *, gz: bool = True) -> Path:
    text = "\t".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def many_reviews(users: int = 60, per_user: int = 20) -> list[str]:
    """Enough distinct reviews (users times per_user) to pass Personalize's minimums."""
    return [
        amazon_row(
            f"{1000 + u}",
            f"Movie {(u * 7 + k) % 90}",
            1 + (u + k) % 5,
            f"2014-{1 + k % 12:02d}-{1 + u % 28:02d}",
            review_id=f"R{u}-{k}",
            product=f"B{(u * 7 + k) % 90:09d}",
        )
        for u in range(users)
        for k in range(per_user)
    ]


def write_amazon_2023(folder: Path, *, malformed: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    reviews = folder / "Movies_and_TV.jsonl"
    lines = []
    for u in range(40):
        for k in range(30):
            lines.append(
                json.dumps(
                    {
                        "rating": float(1 + (u + k) % 5),
                        "title": "review title",
                        "text": 'it was "fine"',
                        "images": [],
                        "asin": f"A{k:04d}X",
                        "parent_asin": f"P{(u + k) % 50:04d}",
                        "user_id": f"AG{u:05d}",
                        "timestamp": 1_600_000_000_000 + u * 1000 + k * 3_600_000,
                        "helpful_vote": 0,
                        "verified_purchase": k % 3 != 0,
                    }
                )
            )
    lines[5:5] = ["{not json"] * malformed
    reviews.write_text("\n".join(lines) + "\n")
    meta = folder / "meta_Movies_and_TV.jsonl"
    meta.write_text(
        "\n".join(
            json.dumps(
                {
                    "main_category": "Movies & TV",
                    "title": HOSTILE_TITLES[i % len(HOSTILE_TITLES)] + f" {i}",
                    "categories": ["Movies & TV", "Drama"],
                    "parent_asin": f"P{i:04d}",
                }
            )
            for i in range(50)
        )
        + "\n"
    )
    return [reviews, meta]


def write_movielens(folder: Path, layout: str) -> Path:
    """A 50-user, 40-movie MovieLens folder in the given release layout."""
    folder.mkdir(parents=True, exist_ok=True)
    ratings = [
        (u, m, 1 + (u * m) % 5, 880_000_000 + u * 1000 + m)
        for u in range(1, 51)
        for m in range(1, 41)
        if (u + m) % 3
    ]
    titles = {m: f"Film, Number {m} ({1990 + m % 10})" for m in range(1, 41)}

    def flags(m: int) -> str:  # u.item's 19 genre flags: genre m % 19, and 8 (Drama)
        return "|".join("1" if g in (m % 19, 8) else "0" for g in range(19))

    if layout == "100k":
        (folder / "u.data").write_text("".join(f"{u}\t{m}\t{r}\t{t}\n" for u, m, r, t in ratings))
        (folder / "u.item").write_bytes(
            "".join(
                f"{m}|{titles[m].replace(',', '')}|01-Jan-1995||http://x|{flags(m)}\n"
                for m in titles
            ).encode("latin-1")
        )
        (folder / "u.user").write_text(
            "".join(f"{u}|{20 + u}|{'MF'[u % 2]}|student|0{u:04d}\n" for u in range(1, 51))
        )
    elif layout == "1m":
        (folder / "ratings.dat").write_text(
            "".join(f"{u}::{m}::{r}::{t}\n" for u, m, r, t in ratings)
        )
        (folder / "movies.dat").write_bytes(
            "".join(f"{m}::{titles[m]}::Drama|Comedy\n" for m in titles).encode("latin-1")
        )
        (folder / "users.dat").write_text(
            "".join(f"{u}::{'MF'[u % 2]}::25::4::0{u:04d}\n" for u in range(1, 51))
        )
    elif layout == "latest":
        (folder / "ratings.csv").write_text(
            "userId,movieId,rating,timestamp\n"
            + "".join(f"{u},{m},{r}.5,{t}\n" for u, m, r, t in ratings)
        )
        (folder / "movies.csv").write_text(
            "movieId,title,genres\n" + "".join(f'{m},"{titles[m]}",Drama|Comedy\n' for m in titles)
        )
    else:
        raise ValueError(layout)
    return folder


def write_recbole_wheel(path: Path) -> Path:
    """A stand-in for recbole-1.2.1's wheel holding MovieLens 100K's atomic files."""
    base = "recbole/dataset_example/ml-100k/ml-100k"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            f"{base}.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
            + "".join(f"{u}\t{m}\t{1 + (u + m) % 5}\t{880000000 + u * 100 + m}\n"
                      for u in range(1, 41) for m in range(1, 31)),
        )  # fmt: skip
        wheel.writestr(
            f"{base}.item",
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
            + "".join(f"{m}\tFilm {m}\t1995\tDrama Comedy\n" for m in range(1, 31)),
        )
        wheel.writestr(
            f"{base}.user",
            "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
            + "".join(f"{u}\t30\tF\twriter\t12345\n" for u in range(1, 41)),
        )
        wheel.writestr("recbole/__init__.py", "")
    return path
