// The baseline: a bare Fastify server with one route that returns the exact bytes (and
// Content-Type) of a real article response as a static string. What the machine can do for
// a response of that size with no work behind it. Started by bench/run.ts as its own process:
// node --import tsx bench/baseline.ts BODY_FILE CONTENT_TYPE PORT
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const [bodyFile, contentType, port] = process.argv.slice(2)
const body = readFileSync(bodyFile!, 'utf8')
const app = Fastify({ logger: false })
app.get('/baseline', (_request, reply) => {
  reply.type(contentType!).send(body)
})
await app.listen({ host: '127.0.0.1', port: Number(port) })
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
