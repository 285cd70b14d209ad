import { serializerCompiler as zodSerializerCompiler } from '@fastify/type-provider-zod'
import type { FastifySerializerCompiler } from 'fastify'
import fastJson from 'fast-json-stringify'
import { z } from 'zod'

// Successful responses are written by fast-json-stringify from the JSON Schema of the route's
// zod response schema (z.toJSONSchema, once per route at startup) instead of being parsed by zod
// and then JSON.stringify'd on every request: measured in bench/ (bench/README.md), the zod pass
// cost more than the rest of serialising. Routes keep their zod schemas, so the OpenAPI document
// is unchanged. Like zod's object parsing, the compiled serializer writes only the properties the
// schema names (an internal column can never leak) in the schema's order, and a missing required
// property is an error (a 500). Error responses (problem details, with their open set of
// extension members) keep zod's serializer.

type Json = { [key: string]: unknown }

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The schema fast-json-stringify compiles best: `$ref`s into `$defs` inlined (response schemas
 * are not recursive), and `anyOf: [X, { type: 'null' }]` (zod's nullable) folded into X with
 * `null` added to its type, since an anyOf makes the serializer test each value against the
 * branches at run time. Annotations that do not change the output are dropped.
 */
export function forSerializer(schema: Json): Json {
  const defs = (schema.$defs ?? {}) as Record<string, Json>
  const visit = (node: unknown, depth: number): unknown => {
    if (depth > 64) throw new Error('response schema too deep (recursive?) for the compiled serializer')
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1))
    if (!isObject(node)) return node
    if (typeof node.$ref === 'string') {
      const target = defs[node.$ref.replace(/^#\/\$defs\//, '')]
      if (!target) throw new Error(`unresolved $ref ${node.$ref}`)
      const { $ref: _ref, ...rest } = node
      return visit({ ...target, ...rest }, depth + 1)
    }
    const out: Json = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs' || key === '$schema' || key === 'description' || key === 'id' || key === 'pattern') continue
      out[key] = key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, visit(sub, depth + 1)]))
        : visit(value, depth + 1)
    }
    const branches = out.anyOf
    if (Array.isArray(branches) && branches.length === 2) {
      const nullIndex = branches.findIndex((b) => isObject(b) && b.type === 'null' && Object.keys(b).length === 1)
      const other = branches[1 - nullIndex]
      if (nullIndex !== -1 && isObject(other) && typeof other.type === 'string' && other.anyOf === undefined) {
        const { anyOf: _anyOf, ...rest } = out
        return { ...other, ...rest, type: [other.type, 'null'] }
      }
    }
    return out
  }
  return visit(schema, 0) as Json
}

/** fast-json-stringify for 2xx responses with a zod schema; zod's serializer for the rest. */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const { schema, httpStatus } = route
  if (!String(httpStatus).startsWith('2') || !(schema instanceof z.ZodType)) return zodSerializerCompiler(route)
  return fastJson(forSerializer(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Json))
}
