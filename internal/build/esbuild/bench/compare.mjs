// compare.mjs builds the benchmark components two ways in one run and prints
// the ratio: this package's warm build (go test -bench BenchmarkBuildWarm) and
// npm esbuild's naive full bundle in a warm Node process, which bundles
// react, react-dom, lucide-react and recharts into every page.
//
// Usage, from the repository root, after `npm ci --prefix web`:
//
//	node internal/build/esbuild/bench/compare.mjs [runs]
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const web = path.join(root, "web");
const components = path.join(root, "internal/build/esbuild/testdata/components");
const esbuild = createRequire(path.join(web, "package.json"))("esbuild");
const runs = Number(process.argv[2] || 15);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The Go side: median milliseconds of a warm build per component.
const goOut = execFileSync("go", ["test", "-run", "^$", "-bench", "^BenchmarkBuildWarm$", "-benchtime", `${runs}x`, "./internal/build/esbuild"], {
  cwd: root,
  encoding: "utf8",
});
const goMedian = {};
for (const line of goOut.split("\n")) {
  const m = line.match(/^BenchmarkBuildWarm\/(\S+?)-\d+\s.*?\s([\d.]+) median-ms/);
  if (m) goMedian[m[1]] = Number(m[2]);
}

// The Node side: a naive page bundle, everything from node_modules.
async function naive(file, minify) {
  const entry = `import * as M from ${JSON.stringify(path.join(components, file))};
import { createElement } from "react";
import { createRoot } from "react-dom/client";
const App = M.default ?? Object.values(M)[0];
createRoot(document.getElementById("root")).render(createElement(App));`;
  const start = performance.now();
  await esbuild.build({
    stdin: { contents: entry, resolveDir: web, loader: "jsx" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    jsx: "automatic",
    minify,
    nodePaths: [path.join(web, "node_modules")],
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  return performance.now() - start;
}

const rows = [];
for (const file of readdirSync(components).sort()) {
  const row = { component: file, go: goMedian[file] };
  for (const minify of [false, true]) {
    const times = [];
    for (let i = 0; i < runs + 2; i++) {
      const t = await naive(file, minify);
      if (i >= 2) times.push(t); // two warm-up builds
    }
    row[minify ? "naiveMinified" : "naive"] = median(times);
  }
  row.ratio = row.go / Math.min(row.naive, row.naiveMinified);
  rows.push(row);
}

const fmt = (n) => n.toFixed(2).padStart(8);
console.log(`esbuild ${esbuild.version}, ${runs} runs per component, medians in ms`);
console.log("component".padEnd(22) + "   go warm   naive  naive-min   ratio");
for (const r of rows) {
  console.log(r.component.padEnd(22) + fmt(r.go) + fmt(r.naive) + fmt(r.naiveMinified) + fmt(r.ratio));
}
const ratios = rows.map((r) => r.ratio);
console.log(`median ratio ${median(ratios).toFixed(3)}, worst ${Math.max(...ratios).toFixed(3)} (target: at most 0.1)`);
