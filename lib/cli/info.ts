/** `edgelab info [--json]`: the environment report. */
import { environment } from "../runtime/environment";
import { toTextTable } from "../report/table";
import { parseArgs } from "node:util";
import { parse } from "./args";

/** Runs `edgelab info`. */
export async function infoCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    () => parseArgs({ args: argv, options: { json: { type: "boolean" } }, strict: true }),
    "info",
  );
  const env = await environment();
  if (values.json) {
    console.log(JSON.stringify(env));
    return;
  }
  const rows = [
    { fact: "node", value: env.node },
    { fact: "cpu", value: `${env.cpu} (${env.cores} cores, ${env.arch})` },
    { fact: "memory", value: `${env.memoryGiB} GiB` },
    { fact: "raspberry pi", value: env.pi ?? "no" },
    { fact: "tfjs backend", value: env.backend },
    { fact: "threads", value: `${env.threads.intraOp} intra-op, ${env.threads.interOp} inter-op` },
    { fact: "onnxruntime-node", value: env.onnxruntime ?? "missing" },
    { fact: "MPI", value: env.mpi ?? "missing" },
    { fact: "BLAS", value: env.blas ?? "missing" },
    { fact: "oneDNN", value: env.dnnl ?? "missing" },
    { fact: "XGBoost", value: env.xgboost ?? "missing" },
  ];
  console.log(toTextTable(rows));
  console.log("\nbackends:");
  for (const [name, status] of Object.entries(env.backends))
    console.log(
      `  ${name.padEnd(10)} ${status.available ? "available" : "unavailable"}${status.reason ? ` — ${status.reason}` : ""}`,
    );
  const notes = Object.values(env.notes);
  if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `  - ${n}`).join("\n")}`);
}
