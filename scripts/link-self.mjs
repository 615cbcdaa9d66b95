// After `tsc`: makes `import ... from "edgelab"` resolve to this checkout, for notebooks (tslab cannot
// import .ts files above the notebook's folder) and for scripts run inside the project; and marks the
// CLI executable, since `tsc` writes every file without the execute bit and `npx edgelab` runs the
// `bin` file directly.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", "edgelab");
mkdirSync(dirname(link), { recursive: true });
if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) unlinkSync(link);
symlinkSync("..", link, "dir");

const { bin } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const file of Object.values(bin)) chmodSync(join(root, file), 0o755);
