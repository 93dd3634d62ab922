"""The worked example of Gower's distance (R cluster::daisy, metric="gower") kept in
gower_worked_example.md, computed by hand rules in exact fractions.

This script does not import segwise: it spells out daisy's documented rules (Kaufman &
Rousseeuw 1990, ch. 1; ?daisy) for six customers and writes the 15 distances to
gower_worked_example.csv (as exact fractions), which tests/test_gower.py compares with
segwise.metrics.gower_distances. Run it from this folder: ``python gower_worked_example.py``.

The rules, per pair of rows (i, j) and column f:
* numeric: |x_i - x_j| / (max - min over the column's non-missing values)
* ordinal (ordered factor): the level codes 1..L of *all* levels (R's data.matrix),
  treated as numeric: |code_i - code_j| / (max - min of the codes that occur)
* nominal: 0 if equal, else 1
* a missing value on either side drops the column from the pair (delta = 0)
* d(i, j) = sum_f w_f delta_f d_f / sum_f w_f delta_f
"""

import csv
from fractions import Fraction as F

NA = None
customers = {
    "age": [20, 30, NA, 60, 40, 20],
    "spend": [100, 300, 200, 500, 100, 300],
    "region": ["north", "south", "north", NA, "east", "south"],
    # ordered levels S < M < L < XL; M never occurs
    "size": ["S", "L", "XL", "S", "L", "S"],
    "newsletter": [True, False, True, True, False, False],
}
kinds = {
    "age": "numeric",
    "spend": "numeric",
    "region": "nominal",
    "size": "ordinal",
    "newsletter": "nominal",
}
size_code = {"S": 1, "M": 2, "L": 3, "XL": 4}
weights_sets = {
    "unweighted": {c: F(1) for c in customers},
    "weighted": {"age": F(1), "spend": F(1), "region": F(2), "size": F(1), "newsletter": F(1, 2)},
}


def column_values(col):
    if kinds[col] == "ordinal":
        return [size_code[v] if v is not NA else NA for v in customers[col]]
    return customers[col]


def term(col, i, j):
    """(delta, d) of column col for rows i and j."""
    v = column_values(col)
    a, b = v[i], v[j]
    if a is NA or b is NA:
        return 0, F(0)
    if kinds[col] == "nominal":
        return 1, F(0 if a == b else 1)
    present = [x for x in v if x is not NA]
    rng = max(present) - min(present)
    return 1, F(abs(a - b), rng if rng else 1)


def distance(i, j, w):
    num = sum(w[c] * term(c, i, j)[0] * term(c, i, j)[1] for c in customers)
    den = sum(w[c] * term(c, i, j)[0] for c in customers)
    return num / den


if __name__ == "__main__":
    with open("gower_worked_example.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["weights", "i", "j", "distance"])
        for name, w in weights_sets.items():
            for i in range(6):
                for j in range(i + 1, 6):
                    d = distance(i, j, w)
                    out.writerow([name, i, j, f"{d.numerator}/{d.denominator}"])
                    terms = ", ".join(
                        f"{c}={term(c, i, j)[1]}" if term(c, i, j)[0] else f"{c}=skip"
                        for c in customers
                    )
                    print(f"{name:10s} d({i},{j}) = {d} ({float(d):.6f})   [{terms}]")
