"""Avro schemas of the three Personalize datasets WatchNext writes."""

from __future__ import annotations

from typing import Any

NAMESPACE = "com.amazonaws.personalize.schema"


def _schema(name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": NAMESPACE,
        "fields": fields,
        "version": "1.0",
    }


def interactions_schema(has_verified: bool) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": "float"},
    ]
    if has_verified:
        fields.append({"name": "EVENT_VERIFIED_PURCHASE", "type": "string", "categorical": True})
    return _schema("Interactions", fields)


def items_schema() -> dict[str, Any]:
    # TITLE is a plain string: not used in training (titles can exceed the 1,000 characters a
    # categorical value may have), but there for filters and for the email catalog.
    return _schema(
        "Items",
        [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TITLE", "type": ["null", "string"]},
            {"name": "GENRES", "type": ["null", "string"], "categorical": True},
            {"name": "YEAR", "type": ["null", "int"]},
        ],
    )


def users_schema() -> dict[str, Any]:
    return _schema(
        "Users",
        [
            {"name": "USER_ID", "type": "string"},
            {"name": "AGE", "type": ["null", "int"]},
            {"name": "GENDER", "type": ["null", "string"], "categorical": True},
            {"name": "OCCUPATION", "type": ["null", "string"], "categorical": True},
        ],
    )


AVRO_TO_CHECK = {"string": "VARCHAR", "long": "BIGINT", "int": "INTEGER", "float": "DOUBLE"}
"""How each Avro type is checked when validating a CSV against its schema."""
