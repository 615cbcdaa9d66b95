/** Benchmarks: throughput measurements and their peers (PyTorch, pandas, python-xgboost). */
export * from "./paired";
export * from "./peers";
export * from "./throughput";
