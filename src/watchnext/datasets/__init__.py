"""Dataset pipeline: review dumps and MovieLens → Amazon Personalize datasets (CSV + Avro schemas).

Needs the ``pipeline`` extra (DuckDB, NumPy, Matplotlib); never imported by a Lambda handler.
"""
