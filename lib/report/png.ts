/**
 * PNG export through a headless Chromium (Debian's `chromium`), when installed: the figure's
 * self-contained HTML is rendered and screenshotted. Without Chromium, PNG export is skipped
 * with a reason, never an error, because HTML is the primary figure format.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic";
import type { Figure } from "./figure";
import { figureHtml } from "./html";

const candidates = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

let browser: string | null | undefined;
/** The Chromium binary (`EDGELAB_CHROMIUM` or the usual Debian paths), or null. */
export function findChromium(): string | null {
  if (browser !== undefined) return browser;
  const fromEnv = process.env.EDGELAB_CHROMIUM;
  browser = fromEnv && existsSync(fromEnv) ? fromEnv : (candidates.find((p) => existsSync(p)) ?? null);
  return browser;
}

/** Renders a figure to PNG at `path`. Returns false (and writes nothing) when Chromium is absent. */
export function saveFigurePng(fig: Figure, path: string): boolean {
  const chromium = findChromium();
  if (!chromium) return false;
  const width = Number(fig.layout.width ?? 720);
  const height = Number(fig.layout.height ?? 420);
  const dir = mkdtempSync(join(tmpdir(), "edgelab-png-"));
  try {
    const page = join(dir, "figure.html");
    const shot = join(dir, "figure.png");
    writeFileSync(
      page,
      figureHtml({ ...fig, layout: { ...fig.layout, width, height } }, "inline", undefined, true).replace(
        "<body>",
        '<body style="margin:0">',
      ),
    );
    execFileSync(
      chromium,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        `--user-data-dir=${join(dir, "profile")}`,
        `--window-size=${width},${height}`,
        "--virtual-time-budget=5000",
        `--screenshot=${shot}`,
        `file://${page}`,
      ],
      { stdio: "ignore", timeout: 60_000 },
    );
    if (!existsSync(shot)) return false;
    writeFileAtomic(path, readFileSync(shot));
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
