// ESLint (flat config) with typescript-eslint's recommended rules over the library, tests,
// benchmarks and scripts. Formatting is Prettier's job, so no stylistic rules here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", "data/", "results/", "reference/", "scratch/", "docs/api/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        __filename: "readonly",
        __dirname: "readonly",
        performance: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        URL: "readonly",
        TextDecoder: "readonly",
        TextEncoder: "readonly",
        AbortController: "readonly",
        queueMicrotask: "readonly",
        structuredClone: "readonly",
        WebAssembly: "readonly",
        SharedArrayBuffer: "readonly",
        Atomics: "readonly",
        fetch: "readonly",
      },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (interface-shaped callbacks, destructuring).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Each folder's index.ts is its public face: it names what callers may use, so internals stay internal.
    files: ["lib/*/index.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportAllDeclaration[exported=null]",
          message: "export the folder's public API by name, not with export *",
        },
      ],
    },
  },
  {
    // Tests read the CLI's JSON by key; typing every shape would add nothing a failing assertion does not say.
    files: ["test/**", "test-workers/**", "bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
