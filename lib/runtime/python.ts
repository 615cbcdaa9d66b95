/**
 * The system Python edgelab drives for Jupyter (nbclient) and for benchmark peers (PyTorch,
 * pandas, xgboost): `EDGELAB_PYTHON`, else Debian's /usr/bin/python3 (where `npm run setup`
 * installs the Debian packages), else `python3` on PATH. Never needed to train or deploy.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The Python interpreter to use. */
export function systemPython(): string {
  return process.env.EDGELAB_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

const probed = new Map<string, boolean>();

/** Whether the system Python can import `module` (probed once per process). */
export function pythonHasModule(module: string): boolean {
  if (!/^[A-Za-z_][\w.]*$/.test(module)) throw new Error(`not a Python module name: ${module}`);
  let ok = probed.get(module);
  if (ok === undefined) {
    ok = spawnSync(systemPython(), ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;
    probed.set(module, ok);
  }
  return ok;
}
