"""The JSON documents of the worker's read-only web views, built from the control-view table.

Shapes are documented in schemas/place-view.schema.json and schemas/control-geojson.schema.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["control_feature_collection", "place_document"]


def place_document(place_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """``GET /places/{place_id}``: the current controller, the change in force, its history, the last alert."""
    state = view["state"]
    current = state["current"]
    return {
        "place_id": place_id,
        "place": current["event"]["place"] if current else None,
        "controller": state["controller"],
        "since": state["since"],
        "current": None if current is None else {
            "event_id": current["event"]["event_id"],
            "gained_by": current["event"]["gained_by"],
            "lost_by": current["event"]["lost_by"],
            "change": current["event"]["change"],
            "status": current["event"]["status"],
            "previous_controller": current["previous_controller"],
            "since": current["since"],
            "as_of": current["as_of"],
            "corroboration": len(current["outlets"]),
            "sources": current["sources"],
            "alert_ids": current["alert_ids"],
            "evidence": current["event"]["evidence"]["sentence"],
        },
        "history": state["history"],
        "last_alert": view["last_alert"],
    }


def control_feature_collection(views: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """``GET /control.geojson``: one Point per place with a known controller (RFC 7946), with the last alert's fields."""
    features = []
    for place_id, view in sorted(views, key=lambda item: item[0]):
        state = view["state"]
        current = state["current"]
        if current is None or state["controller"] is None:
            continue
        place = current["event"]["place"]
        alert = view["last_alert"] or {}
        properties = {
            "place_id": place_id,
            "name": place["name"],
            "country": place["country"],
            "place_kind": place["kind"],
            "controller": state["controller"],
            "since": state["since"],
            **{k: v for k, v in alert.items() if k not in ("place", "sources", "evidence")},
            "evidence": (alert.get("evidence") or current["event"]["evidence"])["sentence"],
            "sources": [s["url"] for s in alert.get("sources", current["sources"])],
        }
        features.append({
            "type": "Feature",
            "id": place_id,
            "geometry": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
            "properties": properties,
        })
    return {"type": "FeatureCollection", "features": features}
