// Validate every manifest of a kustomize build (YAML on stdin) against the
// Kubernetes API schemas (kubernetes-models, generated from the API's
// OpenAPI definitions) and KEDA's CRD schemas, offline; then check what
// docs/operations.md promises of them: every container non-root with a
// read-only root file system, /healthz liveness and /readyz readiness
// probes, resources; a grace period longer than the drain; every
// ScaledObject a Kafka trigger with a lagThreshold and at most PARTITIONS
// replicas (argv[2], default 6). Exit 1 naming each manifest that fails;
// prints "ok N manifests" otherwise.
import fs from 'node:fs';
import yaml from 'js-yaml';

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  let mod;
  if (group === 'keda.sh') mod = await import('@kubernetes-models/keda/keda.sh/' + version);
  else if (group === '') mod = await import('kubernetes-models/' + version);
  else mod = await import('kubernetes-models/' + group + '/' + version);
  const Model = mod[kind];
  if (!Model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return Model;
}

const partitions = Number(process.argv[2] || 6);
const DRAIN_SECONDS = 30; // revoke_timeout (10s) + the sinks' flush, with room

function policy(doc) {
  const problems = [];
  const pod = doc.spec && doc.spec.template && doc.spec.template.spec;
  if (pod) {
    const psc = pod.securityContext || {};
    if (psc.runAsNonRoot !== true) problems.push('pod securityContext.runAsNonRoot is not true');
    if (!(pod.terminationGracePeriodSeconds > DRAIN_SECONDS))
      problems.push(`terminationGracePeriodSeconds must exceed the drain (${DRAIN_SECONDS}s)`);
    for (const c of pod.containers) {
      const sc = c.securityContext || {};
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${c.name}: root file system not read-only`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: privilege escalation allowed`);
      if (!c.livenessProbe || c.livenessProbe.httpGet.path !== '/healthz')
        problems.push(`${c.name}: no /healthz liveness probe`);
      if (!c.readinessProbe || c.readinessProbe.httpGet.path !== '/readyz')
        problems.push(`${c.name}: no /readyz readiness probe`);
      if (!c.resources || !c.resources.requests || !c.resources.limits)
        problems.push(`${c.name}: resources without requests and limits`);
    }
  }
  if (doc.kind === 'ScaledObject') {
    if (!(doc.spec.maxReplicaCount <= partitions))
      problems.push(`maxReplicaCount above the ${partitions} partitions`);
    const t = (doc.spec.triggers || []).find((x) => x.type === 'kafka');
    if (!t || !t.metadata.lagThreshold || !t.metadata.consumerGroup || !t.metadata.bootstrapServers)
      problems.push('no kafka trigger with bootstrapServers, consumerGroup and lagThreshold');
  }
  return problems;
}

const docs = yaml.loadAll(fs.readFileSync(0, 'utf8')).filter(Boolean);
let failed = 0;
for (const doc of docs) {
  const what = `${doc.apiVersion} ${doc.kind} ${doc.metadata && doc.metadata.name}`;
  try {
    const Model = await modelFor(doc.apiVersion, doc.kind);
    new Model(doc).validate();
    const problems = policy(doc);
    if (problems.length) throw new Error(problems.join('; '));
  } catch (e) {
    failed++;
    console.error(`${what}: ${e.message}`);
  }
}
if (docs.length === 0) {
  console.error('no manifests on stdin');
  process.exit(1);
}
if (failed) process.exit(1);
console.log(`ok ${docs.length} manifests`);
