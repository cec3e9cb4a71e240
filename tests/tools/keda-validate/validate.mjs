// Usage: node validate.mjs FILE.yaml...  Validates every ScaledObject document; exit 1 on any error.
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (!doc || doc.kind !== "ScaledObject") continue;
    try { new ScaledObject(doc).validate(); console.log(`ok ${file} ${doc.metadata.name}`); }
    catch (e) { failed++; console.log(`FAIL ${file}: ${e.message}`); }
  }
}
process.exit(failed ? 1 : 0);
