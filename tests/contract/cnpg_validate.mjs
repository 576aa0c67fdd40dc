// Checks CloudNativePG resources against the operator's API, offline.
//
// Reads a JSON array of Kubernetes objects on stdin (what `kubectl apply -k` would send) and checks
// every Cluster, ScheduledBackup and Backup two ways, with npm's @kubernetes-models/cloudnative-pg
// (generated from the operator's Go API types, the source of its CRDs):
//   1. the package's JSON-schema validator: required fields, types, enums, formats;
//   2. the TypeScript compiler on the object as a typed literal: any field the API does not have
//      (a misspelling the API server would prune or refuse) is an excess-property error.
// Prints one line per problem and exits 1 if there is any. Run from the repository root or anywhere:
// modules resolve from frontend_contract/node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const contract = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "frontend_contract");
const require = createRequire(join(contract, "package.json"));
const ts = require("typescript");
const models = "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";
const KINDS = { Cluster: "ICluster", ScheduledBackup: "IScheduledBackup", Backup: "IBackup" };

const documents = JSON.parse(readFileSync(0, "utf8"));
const problems = [];
const checked = [];
for (const [index, doc] of documents.entries()) {
  if (doc.apiVersion !== "postgresql.cnpg.io/v1") continue;
  const name = `${doc.kind}/${doc.metadata?.name ?? index}`;
  if (!(doc.kind in KINDS)) {
    problems.push(`${name}: kind not checked here: teach tests/contract/cnpg_validate.mjs`);
    continue;
  }
  const { [doc.kind]: Model } = await import(pathToFileURL(join(contract, "node_modules", models, `${doc.kind}.js`)).href);
  try {
    new Model(doc).validate();
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
  checked.push({ index, name, kind: doc.kind, doc });
}

// One virtual module (never written to disk) that types every object as its API interface.
const virtual = join(contract, "__cnpg_check__.ts");
const source = [
  ...checked.map(({ kind }) => `import type { ${KINDS[kind]} } from "${models}/${kind}";`),
  ...checked.map(({ index, kind, doc }) => `export const doc${index}: ${KINDS[kind]} = ${JSON.stringify(doc)};`),
].join("\n");
const options = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
const host = ts.createCompilerHost(options);
const { getSourceFile, fileExists, readFile } = host;
host.getSourceFile = (file, language, ...rest) =>
  file === virtual ? ts.createSourceFile(file, source, language) : getSourceFile.call(host, file, language, ...rest);
host.fileExists = (file) => file === virtual || fileExists.call(host, file);
host.readFile = (file) => (file === virtual ? source : readFile.call(host, file));
const program = ts.createProgram([virtual], options, host);
for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const line = diagnostic.file === undefined ? 0 : diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
  const owner = checked.find(({ index }) => source.split("\n")[line]?.startsWith(`export const doc${index}:`));
  problems.push(`${owner ? owner.name : "typescript"}: ${message.split("\n").slice(-1)[0]}`);
}

for (const problem of problems) console.log(problem);
console.log(`checked ${checked.length} CloudNativePG objects: ${checked.map(({ name }) => name).join(", ")}`);
process.exit(problems.length ? 1 : 0);
