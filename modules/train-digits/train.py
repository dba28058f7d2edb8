"""Trains a classifier on scikit-learn's digits data set (it ships inside the package: nothing is downloaded).

Deterministic: the split and the forest are seeded from LILYPAD_SEED (hex), one job (thread), and the model is
pickled with a fixed protocol, so the same seed gives the same bytes on any machine with this image.
"""
import argparse
import json
import os
import pickle

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split


def seed_from_env() -> int:
    raw = os.environ.get("LILYPAD_SEED", "0") or "0"
    try:
        return int(raw[:8], 16) % (2**32)
    except ValueError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--out", default="/outputs")
    args = parser.parse_args()
    seed = seed_from_env()
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=seed, stratify=digits.target
    )
    model = RandomForestClassifier(n_estimators=args.trees, random_state=seed, n_jobs=1)
    model.fit(x_train, y_train)
    accuracy = float(accuracy_score(y_test, model.predict(x_test)))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "model.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)
    metrics = {
        "accuracy": round(accuracy, 6),
        "model": "RandomForestClassifier",
        "seed": seed,
        "test_samples": int(len(y_test)),
        "train_samples": int(len(y_train)),
        "trees": args.trees,
    }
    with open(os.path.join(args.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"accuracy {accuracy:.4f} on {len(y_test)} test digits ({args.trees} trees, seed {seed})")


if __name__ == "__main__":
    main()
