// Validate many Continue config.yaml files in one node process with Continue's own
// package, @continuedev/config-yaml (starting node once per file would cost ~0.3 s each).
// Usage: node validate_continue_many.mjs <node_modules dir> < paths.json
// stdin: a JSON array of file paths. stdout: a JSON array, one object per path:
//   {"file", "parseError"?: "...", "errors": [...validateConfigYaml...], "stripped": [...], "config": {...}}
// "config" is the file as Continue sees it after parsing (aliases and, under %YAML 1.1, merge
// keys resolved; unknown keys dropped), so a test can compare a user's models before and after.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [, , modules] = process.argv;
const load = (rel) => import(pathToFileURL(join(modules, rel)).href);
const configYaml = await load("@continuedev/config-yaml/dist/index.js");
const YAML = (await load("yaml/dist/index.js")).default;

function strippedKeys(raw, kept, path, out) {
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => strippedKeys(item, Array.isArray(kept) ? kept[i] : undefined, `${path}${i}.`, out));
  } else if (raw && typeof raw === "object") {
    for (const key of Object.keys(raw)) {
      if (!kept || typeof kept !== "object" || !(key in kept)) out.push(path + key);
      else strippedKeys(raw[key], kept[key], `${path}${key}.`, out);
    }
  }
  return out;
}

const files = JSON.parse(readFileSync(0, "utf8"));
const results = files.map((file) => {
  const text = readFileSync(file, "utf8");
  let parsed;
  try {
    parsed = configYaml.parseConfigYaml(text);
  } catch (error) {
    return { file, parseError: String(error.message || error) };
  }
  let raw;
  try {
    raw = YAML.parse(text);
  } catch {
    raw = undefined;
  }
  return {
    file,
    errors: configYaml.validateConfigYaml(parsed),
    stripped: strippedKeys(raw, parsed, "", []),
    config: parsed,
  };
});
console.log(JSON.stringify(results));
