"""pandas peer for the CICIDS2017 ingest benchmark: read_csv plus the same cleaning edgelab does
(Infinity/NaN rows dropped, exact duplicates dropped). Prints one JSON object."""
import json, resource, sys, time

import numpy as np
import pandas as pd

path = sys.argv[1]
t0 = time.perf_counter()
df = pd.read_csv(path, encoding="latin1", skipinitialspace=False)
df.columns = df.columns.str.strip()
raw = len(df)
features = df.columns[:-1]
values = df[features].replace([np.inf, -np.inf], np.nan)
finite = values.notna().all(axis=1)
df = df[finite]
df[features] = df[features].astype(np.float32)
df = df.drop_duplicates()
seconds = time.perf_counter() - t0
print(json.dumps({"name": f"pandas {pd.__version__}", "seconds": seconds, "rawRows": raw, "cleanRows": len(df),
                  "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
