"""Territorial-change quality on the gold corpus, per split (dev is tuned on; heldout never is).

An event matches a gold event on place id. Alerts are the reported and claimed events, so
precision/recall/F1 are computed over those; status accuracy over every gold event whose
place frontwire also reports an event for; gained_by / lost_by / date accuracy over matched alerts.

    python bench/eval_events.py [--split dev|heldout|all] [--show-errors]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gold import enriched, load_gold

ALERTABLE = {"reported", "claimed"}


def evaluate(split: str, show_errors: bool) -> dict[str, float]:
    docs = [d for d in load_gold() if split == "all" or d.split == split]
    tally: Counter[str] = Counter()
    for doc, article in enriched(docs):
        gold_events = doc.record["events"]
        gold_alerts = {e["place_id"]: e for e in gold_events if e["status"] in ALERTABLE and e["place_id"]}
        gold_any = {e["place_id"]: e for e in gold_events if e["place_id"]}
        predicted = {e.place.id: e for e in article.events}
        predicted_alerts = {pid: e for pid, e in predicted.items() if e.status.value in ALERTABLE}
        tally["docs"] += 1
        tally["gold_alerts"] += len(gold_alerts)
        tally["predicted_alerts"] += len(predicted_alerts)
        if doc.record.get("negative"):
            tally["negative_docs"] += 1
            tally["alerts_on_negative_docs"] += len(predicted_alerts)
        for pid, gold in gold_alerts.items():
            hit = predicted_alerts.get(pid)
            if hit is None:
                if show_errors:
                    print(f"MISS  {doc.doc_id} {gold['place_name']} ({pid}) {gold['status']}: {gold['evidence'][:140]}")
                continue
            tally["true_alerts"] += 1
            tally["gained_ok"] += hit.gained_by == gold["gained_by"]
            tally["lost_ok"] += hit.lost_by == gold["lost_by"]
            occurred = hit.occurred_on.isoformat() if hit.occurred_on else None
            tally["date_ok"] += occurred == gold["occurred_on"]
            if show_errors and (hit.gained_by != gold["gained_by"] or hit.lost_by != gold["lost_by"]
                                or occurred != gold["occurred_on"]):
                print(f"ROLE  {doc.doc_id} {gold['place_name']}: gained {hit.gained_by}/{gold['gained_by']} "
                      f"lost {hit.lost_by}/{gold['lost_by']} date {occurred}/{gold['occurred_on']}")
        for pid, hit in predicted_alerts.items():
            if pid not in gold_alerts and show_errors:
                label = gold_any[pid]["status"] if pid in gold_any else "none"
                print(f"FALSE {doc.doc_id} {hit.place.name} ({pid}) {hit.status.value} [gold: {label}]: "
                      f"{hit.evidence.sentence[:140]}")
        for pid, gold in gold_any.items():
            if pid in predicted:
                tally["status_pairs"] += 1
                tally["status_ok"] += predicted[pid].status.value == gold["status"]
    precision = tally["true_alerts"] / tally["predicted_alerts"] if tally["predicted_alerts"] else 0.0
    recall = tally["true_alerts"] / tally["gold_alerts"] if tally["gold_alerts"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    matched = tally["true_alerts"] or 1
    return {
        "docs": tally["docs"],
        "gold_alerts": tally["gold_alerts"],
        "predicted_alerts": tally["predicted_alerts"],
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "status_accuracy": tally["status_ok"] / tally["status_pairs"] if tally["status_pairs"] else 0.0,
        "gained_by_accuracy": tally["gained_ok"] / matched,
        "lost_by_accuracy": tally["lost_ok"] / matched,
        "date_accuracy": tally["date_ok"] / matched,
        "alerts_on_negative_docs": tally["alerts_on_negative_docs"],
        "negative_docs": tally["negative_docs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all", "both"], default="both")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    for split in splits:
        result = evaluate(split, args.show_errors)
        figures = "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items())
        print(f"[{split}] {figures}")


if __name__ == "__main__":
    main()
