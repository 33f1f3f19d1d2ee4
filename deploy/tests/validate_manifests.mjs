// Validates rendered manifests offline against the Kubernetes API's own
// definitions, two ways:
//  - npm kubernetes-models: the API's JSON schemas compiled (types,
//    required fields, enumerations);
//  - npm @kubernetes/client-node: its generated models list every field
//    of every API type, so a field the API does not have (a misspelt
//    `readinesProbe`, silently dropped by a lenient apply) is named.
// Usage: node validate_manifests.mjs RENDERED.yaml
import { readFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";

// The API type of each kind we render, by its client model's name:
// apps/v1 Deployment → V1Deployment.
function modelName(doc) {
  const version = doc.apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + doc.kind;
}

function unknownFields(value, type, path, found) {
  if (value === null || value === undefined) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) {
      value.forEach((v, i) => unknownFields(v, m[1], `${path}[${i}]`, found));
    }
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    for (const [k, v] of Object.entries(value)) {
      unknownFields(v, m[1], `${path}.${k}`, found);
    }
    return;
  }
  const model = k8s[type];
  if (!model?.attributeTypeMap || typeof value !== "object" || Array.isArray(value)) {
    return;
  }
  const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) {
      found.push(`${path}.${k}: the API has no such field`);
    } else {
      unknownFields(v, fields.get(k), `${path}.${k}`, found);
    }
  }
}

async function schemaModel(doc) {
  try {
    const module = await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`);
    return module[doc.kind];
  } catch {
    return undefined;
  }
}

const docs = parseAllDocuments(readFileSync(process.argv[2], "utf8"))
  .map((d) => d.toJS())
  .filter((d) => d);
const problems = [];
for (const doc of docs) {
  const where = `${doc.kind}/${doc.metadata?.name}`;
  const schema = await schemaModel(doc);
  if (!schema || !k8s[modelName(doc)]) {
    problems.push(`${where}: ${doc.apiVersion} ${doc.kind} is no kind of the Kubernetes API`);
    continue;
  }
  try {
    new schema(doc).validate();
  } catch (err) {
    problems.push(`${where}: ${err.message}`);
  }
  const found = [];
  unknownFields(doc, modelName(doc), "", found);
  for (const f of found) problems.push(`${where}: ${f}`);
}
for (const p of problems) console.log(p);
if (problems.length) process.exit(1);
console.log(`schemas: ${docs.length} objects valid, no unknown field`);
