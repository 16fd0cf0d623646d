// Benchmark baseline only. next/react/react-dom are symlinks to web/node_modules, so the
// bundler's root is the repository (the links point outside this directory).
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  serverExternalPackages: ["pg"],
};
