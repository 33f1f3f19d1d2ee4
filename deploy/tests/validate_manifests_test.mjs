// The schema validation catches what it promises: a field the API does not
// have, a value of the wrong type, a kind the API does not serve; and a
// good object passes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const validator = join(dirname(fileURLToPath(import.meta.url)), "validate_manifests.mjs");

function validate(yamlText) {
  const dir = mkdtempSync(join(process.env.TEST_TMPDIR || tmpdir(), "validate-"));
  try {
    const file = join(dir, "objects.yaml");
    writeFileSync(file, yamlText);
    const run = spawnSync(process.execPath, [validator, file], { encoding: "utf8" });
    return { code: run.status, out: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const deployment = (containerExtra = "", replicas = "2") => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalogue
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: catalogue
  template:
    metadata:
      labels:
        app: catalogue
    spec:
      containers:
        - name: catalogue
          image: registry.example.org/training/catalogue:0.1.0
          readinessProbe:
            grpc:
              port: 7151
${containerExtra}`;

test("a good Deployment passes", () => {
  const r = validate(deployment());
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /1 objects valid/);
});

test("a misspelt field is named", () => {
  const r = validate(deployment("          livenesProbe:\n            grpc:\n              port: 7151\n"));
  assert.equal(r.code, 1);
  assert.match(r.out, /containers\[0\]\.livenesProbe: the API has no such field/);
});

test("a value of the wrong type is named", () => {
  const r = validate(deployment("", "two"));
  assert.equal(r.code, 1);
  assert.match(r.out, /replicas must be integer/);
});

test("a kind the API does not serve is named", () => {
  const r = validate("apiVersion: policy/v1beta7\nkind: PodDisruptionBudget\nmetadata:\n  name: x\n");
  assert.equal(r.code, 1);
  assert.match(r.out, /no kind of the Kubernetes API/);
});
