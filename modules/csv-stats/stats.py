"""Summary statistics of a CSV file, written as JSON and CSV. Byte-stable: columns in file order, keys sorted,
floats printed with repr after rounding to 12 significant digits, ties of the most common value broken by value."""
import csv
import json
import math
import os
import sys
from collections import Counter

import numpy as np

MISSING = {"", "na", "n/a", "nan", "null", "none"}


def number(text: str):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def tidy(value: float):
    if value == int(value) and abs(value) < 2**53:
        return int(value)
    return float(f"{value:.12g}")


def describe(values):
    present = [v for v in values if v.strip().lower() not in MISSING]
    numbers = [number(v) for v in present]
    summary = {"count": len(present), "missing": len(values) - len(present)}
    if present and all(n is not None for n in numbers):
        a = np.array(numbers, dtype=np.float64)
        q1, median, q3 = (float(q) for q in np.quantile(a, [0.25, 0.5, 0.75]))
        summary.update(
            type="number",
            mean=tidy(float(np.mean(a))),
            std=tidy(float(np.std(a, ddof=1))) if len(a) > 1 else 0,
            min=tidy(float(a.min())),
            q1=tidy(q1),
            median=tidy(median),
            q3=tidy(q3),
            max=tidy(float(a.max())),
            sum=tidy(float(np.sum(a))),
        )
    else:
        counts = Counter(present)
        top, freq = min(counts.items(), key=lambda kv: (-kv[1], kv[0])) if counts else ("", 0)
        summary.update(type="text", distinct=len(counts), top=top, top_count=freq)
    return summary


def main() -> None:
    source, out = sys.argv[1], sys.argv[2]
    with open(source, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        sys.exit("the CSV file is empty")
    header, body = rows[0], rows[1:]
    columns = {name: describe([row[i] if i < len(row) else "" for row in body]) for i, name in enumerate(header)}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "stats.json"), "w", encoding="utf-8") as f:
        json.dump({"rows": len(body), "columns": columns}, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    fields = ["column", "type", "count", "missing", "mean", "std", "min", "q1", "median", "q3", "max", "sum", "distinct", "top", "top_count"]
    with open(os.path.join(out, "stats.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(fields)
        for name, summary in columns.items():
            writer.writerow([name] + [summary.get(k, "") for k in fields[1:]])
    print(f"{len(body)} rows, {len(header)} columns")


if __name__ == "__main__":
    main()
