"""NumPy FedAvg, the way a Python federated server aggregates: per layer, the example-weighted
sum of the clients' float32 arrays divided by the total. Prints {"seconds": ...} for the median of
REPEATS aggregations. Usage: numpy_fedavg.py CLIENTS PARAMETERS REPEATS"""
import json
import sys
import time

import numpy as np

clients, parameters, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
# Two layers, like a dense model's kernel and the rest.
split = parameters * 3 // 4
results = [([rng.standard_normal(split, dtype=np.float32), rng.standard_normal(parameters - split, dtype=np.float32)], 100 + c) for c in range(clients)]
total = sum(n for _, n in results)
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    layers = [sum(w[k] * n for w, n in results) / total for k in range(2)]
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": float(np.median(times)), "repeats": repeats, "numpy": np.__version__}))
