// Validate a Continue config.yaml with Continue's own package, @continuedev/config-yaml.
// Usage: node validate_continue.mjs <node_modules dir> <config.yaml>
// Prints JSON: {"errors": [...validateConfigYaml...], "stripped": ["models.0.apiBAse", ...]}
// "stripped" lists keys present in the YAML that Continue's schema silently drops.
// Exit 1 with {"parseError": "..."} when parseConfigYaml rejects the file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [, , modules, file] = process.argv;
const load = (rel) => import(pathToFileURL(join(modules, rel)).href);
const configYaml = await load("@continuedev/config-yaml/dist/index.js");
const YAML = (await load("yaml/dist/index.js")).default;

const text = readFileSync(file, "utf8");
let parsed;
try {
  parsed = configYaml.parseConfigYaml(text);
} catch (error) {
  console.log(JSON.stringify({ parseError: String(error.message || error) }));
  process.exit(1);
}

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

const errors = configYaml.validateConfigYaml(parsed);
const stripped = strippedKeys(YAML.parse(text), parsed, "", []);
console.log(JSON.stringify({ errors, stripped, models: (parsed.models || []).map((m) => m.name) }));
