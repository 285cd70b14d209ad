import { STATUS_CODES } from 'node:http'

// Corrections to the generated OpenAPI document for what the zod provider cannot express.

type Json = Record<string, any>
const PROBLEM_MEDIA_TYPE = 'application/problem+json'
const MERGE_PATCH_MEDIA_TYPE = 'application/merge-patch+json'

function fixOperation(method: string, operation: Json) {
  for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
    // The provider cannot key a response by media type: errors are declared with the Problem
    // schema under application/json (or a route's `produces`, as the feeds' are) and corrected here.
    const media = Object.values<Json>(response.content ?? {})[0]
    if (Number(status) >= 400 && media) response.content = { [PROBLEM_MEDIA_TYPE]: media }
    if (status === '204') delete response.content
    if (response.description === 'Default Response') response.description = STATUS_CODES[Number(status)] ?? status
  }
  const body = operation.requestBody?.content?.['application/json']
  if (method === 'patch' && body) operation.requestBody.content[MERGE_PATCH_MEDIA_TYPE] = body
  if (method === 'post' && !NOT_IDEMPOTENT.has(operation.operationId)) acceptIdempotencyKey(operation)
  // Every operation can be rate limited (src/http/rate-limit.ts); routes do not each declare it.
  operation.responses['429'] ??= {
    description: 'Too Many Requests: wait Retry-After seconds (RateLimit headers tell the budget)',
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  }
  const ok = operation.responses?.['200']?.content
  if (NINJS_OPERATIONS.has(operation.operationId) && ok) ok[NINJS_MEDIA_TYPE] = { schema: { $ref: '#/components/schemas/Ninjs' } }
}

/** Operations whose 200 also comes as IPTC ninjs when the Accept header prefers it (articles/ninjs.ts). */
const NINJS_OPERATIONS = new Set(['getArticle'])
const NINJS_MEDIA_TYPE = 'application/ninjs+json'
const NINJS_SCHEMA: Json = {
  type: 'object',
  description:
    'An IPTC ninjs 3.1 (News in JSON) document, valid against http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json. ' +
    'Only the main fields are listed here; the IPTC schema is the reference.',
  externalDocs: { description: 'IPTC ninjs', url: 'https://www.iptc.org/std/ninjs/' },
  required: ['uri'],
  properties: {
    uri: { type: 'string', format: 'uri', description: 'The article, by id: stable across edits.' },
    type: { type: 'string', enum: ['text'] },
    version: { type: 'string' },
    firstCreated: { type: 'string', format: 'date-time' },
    versionCreated: { type: 'string', format: 'date-time' },
    embargoedUntil: { type: 'string', format: 'date-time' },
    pubStatus: { type: 'string', enum: ['usable', 'withheld', 'canceled'] },
  },
}

/** POSTs whose routes opt out with `config: { idempotency: false }` (their response holds a secret). */
const NOT_IDEMPOTENT = new Set(['createKey'])

const IDEMPOTENCY_KEY: Json = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the POST safe to retry (IETF draft "The Idempotency-Key HTTP Header Field"). For 24 hours, the same key ' +
    'from the same API key with the same request replays the first response (with `Idempotent-Replayed: true`) ' +
    'without doing the work again; with a different request it is a 422; while the first is still running, a 409. ' +
    'Responses with a 5xx status are not kept.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
}

const IDEMPOTENT_REPLAYED: Json = {
  description: '`true` when this response is a replay of the one stored for the request\'s Idempotency-Key.',
  schema: { type: 'string', enum: ['true'] },
}

/** Every POST goes through the idempotency plugin (src/http/idempotency.ts): say so once, here. */
function acceptIdempotencyKey(operation: Json) {
  operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }]
  const problem = { content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } }
  for (const status of ['400', '409', '422']) {
    operation.responses[status] ??= { description: STATUS_CODES[Number(status)], ...problem }
  }
  const replayed = { $ref: '#/components/headers/IdempotentReplayed' }
  for (const [status, response] of Object.entries<Json>(operation.responses)) {
    if (status.startsWith('2')) response.headers = { ...response.headers, 'Idempotent-Replayed': replayed }
  }
  operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)))
}

/** Every `$ref` target reachable from `node`. */
function collectRefs(node: unknown, schemas: Json, seen: Set<string>) {
  if (Array.isArray(node)) return node.forEach((item) => collectRefs(item, schemas, seen))
  if (node === null || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
      const name = value.slice('#/components/schemas/'.length)
      if (!seen.has(name)) {
        seen.add(name)
        collectRefs(schemas[name], schemas, seen)
      }
    } else collectRefs(value, schemas, seen)
  }
}

/**
 * The provider registers every named schema twice (as `X` for responses, `XInput` for
 * requests); only the ones an operation uses are kept.
 */
function pruneUnusedSchemas(document: Json) {
  const schemas: Json = document.components?.schemas ?? {}
  const used = new Set<string>()
  collectRefs(document.paths, schemas, used)
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name]
}

/** `ArticleCreateInput` becomes `ArticleCreate` where no output schema has that name. */
function dropInputSuffixes<T extends Json>(document: T): T {
  let text = JSON.stringify(document)
  const names = Object.keys(document.components?.schemas ?? {})
  for (const name of names) {
    const base = name.replace(/Input$/, '')
    if (base !== name && !names.includes(base)) text = text.replaceAll(`"${name}"`, `"${base}"`).replaceAll(`/${name}"`, `/${base}"`)
  }
  return JSON.parse(text)
}

export function finishDocument<T extends Json>(document: T): T {
  const components: Json = ((document as Json).components ??= {})
  components.parameters = { ...components.parameters, IdempotencyKey: IDEMPOTENCY_KEY }
  components.headers = { ...components.headers, IdempotentReplayed: IDEMPOTENT_REPLAYED }
  components.schemas = { ...components.schemas, Ninjs: NINJS_SCHEMA }
  for (const operations of Object.values<Json>(document.paths ?? {})) {
    for (const [method, operation] of Object.entries<Json>(operations)) fixOperation(method, operation)
  }
  pruneUnusedSchemas(document)
  return dropInputSuffixes(document)
}
