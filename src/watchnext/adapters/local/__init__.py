"""Adapters for the embedded default: SQLite stores, the local recommender, SMTP."""
