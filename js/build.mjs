// Bundles src/index.js into ../nbtrack/static/widget.js (the module anywidget loads).
//   node build.mjs          production: minified, no sourcemap
//   node build.mjs --dev    one unminified build with an inline sourcemap
//   node build.mjs --watch  like --dev, rebuilding on change (pair with ANYWIDGET_HMR=1)
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(here, "../nbtrack/static/widget.js");
const watch = process.argv.includes("--watch");
const dev = watch || process.argv.includes("--dev");

/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: [resolve(here, "src/index.js")],
  outfile,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: !dev,
  // anywidget imports the module from a blob/URL, so a separate .map file would not be found.
  sourcemap: dev ? "inline" : false,
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  logLevel: "info",
};

await mkdir(dirname(outfile), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
