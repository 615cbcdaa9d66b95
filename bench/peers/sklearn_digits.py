"""scikit-learn's digits (1,797 8×8 images, 10 classes; shipped inside the package, no download) as a
CSV with a header: p0 … p63, target. Usage: sklearn_digits.py OUT.csv"""
import sys

from sklearn.datasets import load_digits

digits = load_digits()
with open(sys.argv[1], "w") as f:
    f.write(",".join([f"p{i}" for i in range(64)] + ["target"]) + "\n")
    for row, target in zip(digits.data, digits.target):
        f.write(",".join(str(int(v)) for v in row) + f",{int(target)}\n")
