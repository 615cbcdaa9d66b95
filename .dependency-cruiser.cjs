/**
 * edgelab's architecture, checked by `npm test` (npm run lint:deps). docs/architecture.md explains
 * the layers; this file is what holds them:
 *
 *   application  cli/ experiments/ notebooks/ bench/      runs, comparisons, sweeps, launching
 *   domain       data/ shard/ models/ train/ parallel/ federated/ pipeline/ deploy/ metrics/
 *                firewall/ cluster/
 *   ground       runtime/ kernels/ native/ report/ random/ buffers/
 *
 * No import runs back up a layer, no two folders import each other, and the pure core touches no
 * file, process, FFI library or ONNX session.
 */
const application = "(cli|experiments|notebooks|bench)";
const ground = "(runtime|kernels|native|report|random|buffers)";

/** Folders, and single files of other folders, that are pure maths over arrays and tensors. */
const pureCore = [
  "^lib/(shard|models|kernels|random|buffers)/",
  "^lib/train/(adam|batches|class-weights|clip|config|early-stopping|evaluate|loop|projection|schedule|tabnet)\\.ts$",
  "^lib/parallel/(cost-fit|cost-model|launcher-output|paper|simulate|strategies|virtual)\\.ts$",
  "^lib/federated/(aggregate|partition|round-cost|strategies|tensors)\\.ts$",
  "^lib/metrics/(classification|latency|scaling)\\.ts$",
  "^lib/firewall/(features|metrics|panos|syslog)\\.ts$",
  "^lib/pipeline/(costs|graph|partition|rebalance)\\.ts$",
];

module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles",
      comment: "Two folders that import each other are one folder in disguise: move the shared part down a layer.",
      severity: "error",
      scope: "folder",
      from: { path: "^lib/" },
      to: { circular: true },
    },
    {
      name: "no-module-cycles",
      comment: "A module cycle makes load order matter and hides which file owns what.",
      severity: "error",
      from: { path: "^lib/" },
      to: { circular: true },
    },
    {
      name: "domain-imports-no-application",
      comment: "Domain and ground folders are used by the application layer, never the reverse.",
      severity: "error",
      from: { path: "^lib/", pathNot: `^lib/(index\\.ts$|${application}/)` },
      to: { path: `^lib/${application}/` },
    },
    {
      name: "ground-imports-only-ground",
      comment: "runtime/, kernels/, native/, report/, random/ and buffers/ sit below every domain.",
      severity: "error",
      from: { path: `^lib/${ground}/` },
      to: { path: "^lib/", pathNot: `^lib/${ground}/` },
    },
    {
      name: "pure-core-does-no-io",
      comment: "The pure core is maths over arrays: files, processes, FFI and ONNX sessions live in adapters.",
      severity: "error",
      from: { path: pureCore },
      to: {
        path: "^(node:)?(fs|child_process|net|dgram|tls|http|https)$|node_modules/(koffi|onnxruntime-node|@grpc)/",
      },
    },
    {
      name: "native-code-loads-through-native",
      comment:
        "onnxruntime-node and koffi dlopen native code when imported: only native/ may load them, on first use (types are free).",
      severity: "error",
      from: { path: "^lib/", pathNot: "^lib/native/" },
      to: { path: "node_modules/(onnxruntime-node|koffi)/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "lib-imports-no-tests-or-scripts",
      severity: "error",
      from: { path: "^lib/" },
      to: { path: "^(test|test-workers|bench|scripts|notebooks)/" },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^build/" },
  },
};
