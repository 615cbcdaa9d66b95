"""python-xgboost peer: train on the same data with the same booster parameters, predict the test
rows. python3 xgboost_train.py TRAIN_X.npy TRAIN_Y.npy TEST_X.npy PARAMS.json ROUNDS OUT.npy
Prints one JSON object (training seconds, library version)."""
import json, resource, sys, time

import numpy as np
import xgboost as xgb

train_x, train_y, test_x = (np.load(p) for p in sys.argv[1:4])
params = json.load(open(sys.argv[4]))
rounds = int(sys.argv[5])
t0 = time.perf_counter()
dtrain = xgb.DMatrix(train_x, label=train_y, missing=np.nan)
booster = xgb.train(params, dtrain, num_boost_round=rounds)
seconds = time.perf_counter() - t0
pred = booster.predict(xgb.DMatrix(test_x, missing=np.nan))
np.save(sys.argv[6], pred.astype(np.float32).reshape(len(test_x), -1))
print(json.dumps({"name": f"python-xgboost {xgb.__version__}", "seconds": seconds, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
