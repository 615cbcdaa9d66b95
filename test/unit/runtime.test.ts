import assert from "node:assert/strict";
import { test } from "node:test";
import {
  configureThreads,
  defaultThreadConfig,
  detectBackends,
  onnxThreadOptions,
  probeLibrary,
  ranksOnThisNode,
  readDevice,
  useBackend,
} from "../../lib/runtime";
import { availableParallelism } from "node:os";
import { Rng } from "../../lib/random";
import { missingUcxSettings, prepareUcx, ucxDefaults } from "../../lib/native/ucx";

test("thread configuration reaches every library's environment variable", () => {
  const config = configureThreads({ intraOp: 3, interOp: 1 });
  assert.deepEqual(config, { intraOp: 3, interOp: 1 });
  for (const name of ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"])
    assert.equal(process.env[name], "3");
  assert.deepEqual(onnxThreadOptions(), { intraOpNumThreads: 3, interOpNumThreads: 1, executionMode: "sequential" });
  assert.throws(() => configureThreads({ intraOp: 0 }), /positive integer/);
});

test("ranks that mpiexec put on one node share its cores instead of each taking them all", () => {
  assert.equal(ranksOnThisNode({}), 1);
  assert.equal(ranksOnThisNode({ MPI_LOCALNRANKS: "2" }), 2); // MPICH's Hydra
  assert.equal(ranksOnThisNode({ OMPI_COMM_WORLD_LOCAL_SIZE: "3" }), 3); // Open MPI
  assert.equal(ranksOnThisNode({ MPI_LOCALNRANKS: "zero" }), 1);
  const cores = availableParallelism();
  const alone = Math.min(4, cores);
  assert.equal(defaultThreadConfig({}).intraOp, alone);
  assert.equal(defaultThreadConfig({ MPI_LOCALNRANKS: "2" }).intraOp, Math.max(1, Math.min(4, Math.floor(cores / 2))));
  assert.equal(defaultThreadConfig({ MPI_LOCALNRANKS: String(4 * cores) }).intraOp, 1);
  assert.equal(defaultThreadConfig({ MPI_LOCALNRANKS: "2", EDGELAB_THREADS: "3" }).intraOp, 3);
});

test("backends are really initialised; cpu is always there; unavailable ones say why", async () => {
  const status = await detectBackends();
  assert.equal(status.cpu.available, true);
  for (const s of Object.values(status)) if (!s.available) assert.ok(s.reason && s.reason.length > 10);
  assert.equal(await useBackend("cpu"), "cpu");
  const saved = process.env.EDGELAB_BACKEND;
  process.env.EDGELAB_BACKEND = "nonsense";
  await assert.rejects(useBackend(), /EDGELAB_BACKEND=nonsense is not a backend/);
  if (saved === undefined) delete process.env.EDGELAB_BACKEND;
  else process.env.EDGELAB_BACKEND = saved;
});

test("device facts and library probes never throw", () => {
  const device = readDevice();
  assert.ok(device.cores >= 1 && device.memoryGiB > 0 && device.cpu.length > 0);
  const missing = probeLibrary("blas", []);
  assert.ok(missing.library !== null || /libopenblas0-pthread/.test(missing.reason ?? ""));
});

test("the RNG is deterministic and its state can be saved and restored", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  assert.deepEqual([a.next(), a.next()], [b.next(), b.next()]);
  const state = a.getState();
  const next = [a.nextUint32(), a.nextUint32()];
  a.setState(state);
  assert.deepEqual([a.nextUint32(), a.nextUint32()], next);
  assert.notEqual(new Rng(1).next(), new Rng(2).next());
  const samples = Array.from({ length: 20000 }, () => new Rng(0).next() && a.normal());
  const mean = samples.reduce((s, v) => s + v, 0) / samples.length;
  assert.ok(Math.abs(mean) < 0.05);
});

test("UCX defaults for MPI in Node: memory hooks off, SIGSEGV left to V8, and the user's own settings win", () => {
  assert.deepEqual(missingUcxSettings({}), { UCX_MEM_EVENTS: "no", UCX_ERROR_SIGNALS: "SIGILL,SIGBUS,SIGFPE" });
  assert.deepEqual(missingUcxSettings({ UCX_MEM_EVENTS: "yes" }), { UCX_ERROR_SIGNALS: "SIGILL,SIGBUS,SIGFPE" });
  assert.ok(!ucxDefaults.UCX_ERROR_SIGNALS.split(",").includes("SIGSEGV"));
  const env: NodeJS.ProcessEnv = { UCX_ERROR_SIGNALS: "" };
  assert.deepEqual(prepareUcx(env), ["UCX_MEM_EVENTS"]);
  assert.deepEqual(env, { UCX_ERROR_SIGNALS: "", UCX_MEM_EVENTS: "no" });
  assert.deepEqual(prepareUcx(env), [], "a second call changes nothing");
});
