import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import type { z } from 'zod'
import { HttpProblem, type FieldError } from './errors.js'
import { toFieldErrors, type Part } from './validation.js'

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

const PARTS: Record<string, Part> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' }

/** Fastify's own client errors, by code, with the status and wording we answer them with. */
const FRAMEWORK_ERRORS: Record<string, { status: number; type: string; title: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, type: 'malformed-body', title: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, type: 'malformed-body', title: 'The body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, type: 'malformed-body', title: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, type: 'body-too-large', title: 'The body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, type: 'unsupported-media-type', title: 'Unsupported media type' },
  FST_ERR_BAD_URL: { status: 400, type: 'bad-url', title: 'The URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, type: 'uri-too-long', title: 'The URL is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, type: 'bad-request', title: 'Bad request' },
}

/**
 * The router refuses longer path parameters with a 414 before any schema sees them; it sits
 * well above every params schema's limit (ids and slugs: 200), so that the schema decides.
 */
export const MAX_PARAM_LENGTH = 1000

export function sendProblem(
  reply: FastifyReply,
  problem: { status: number; type: string; title: string; detail: string },
  extensions: Record<string, unknown> = {},
) {
  const { request } = reply
  return reply
    .code(problem.status)
    .type(PROBLEM_MEDIA_TYPE)
    // Also here: Fastify's framework errors (bad URL, too long) skip the app's onSend hooks.
    .header('x-request-id', request.id)
    .send({
      type: `/problems/${problem.type}`,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: request.url.split('?')[0],
      requestId: request.id,
      ...extensions,
    })
}

function validationProblem(reply: FastifyReply, error: FastifyError) {
  const part = PARTS[error.validationContext ?? 'body'] ?? 'body'
  const errors: FieldError[] = toFieldErrors(error.validation as unknown as z.core.$ZodIssue[], part)
  const fields = errors.map((e) => `${e.in}${e.pointer || ' (root)'}: ${e.message}`).join('; ')
  return sendProblem(
    reply,
    { status: 400, type: 'validation', title: 'Your request is not valid', detail: fields },
    { errors },
  )
}

/** The one place that formats error bodies: every error leaves as RFC 9457 problem+json. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpProblem) {
    reply.headers(error.headers)
    return sendProblem(reply, error, error.extensions)
  }
  if (error.validation) return validationProblem(reply, error)
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined
  if (known) return sendProblem(reply, { ...known, detail: error.message })
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return sendProblem(reply, { status, type: 'bad-request', title: 'Bad request', detail: error.message })
  }
  // Anything else is our fault: the log gets the stack, the client only the request id.
  request.log.error({ err: error }, 'unhandled error')
  return sendProblem(reply, {
    status: 500,
    type: 'internal',
    title: 'Internal server error',
    detail: `Something went wrong on our side. Quote request id ${request.id} when you report it.`,
  })
}

/**
 * Requests too malformed for HTTP parsing never reach a route; they still get a problem body.
 * (Fastify's `clientErrorHandler`.)
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: import('node:net').Socket) {
  if (!socket.writable) return socket.destroy()
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const body = JSON.stringify({
    type: '/problems/malformed-request',
    title: 'The request is not valid HTTP',
    status,
    detail: 'The server could not parse the request.',
    instance: '',
  })
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: ${PROBLEM_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** A CORS preflight names an origin and the method it means to use; the CORS plugin answers it. */
const isCorsPreflight = (request: FastifyRequest) =>
  request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined

/**
 * Error handler, 404 and 405 handlers. Registered first, so that its route table sees every
 * route and can tell "no such resource" (404) from "no such method here" (405 with Allow).
 */
export const problemDetails = fp(
  async (app: FastifyInstance) => {
    const routes = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH })
    app.addHook('onRoute', (route) => {
      // A catch-all (the CORS plugin's `OPTIONS *`) is not a resource: it would make every 404 a 405.
      if (route.url === '*') return
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      for (const method of methods as HTTPMethod[]) {
        if (!routes.hasRoute(method, route.url)) routes.on(method, route.url, () => {})
      }
    })

    function notFound(request: FastifyRequest, reply: FastifyReply) {
      const path = request.url.split('?')[0] ?? '/'
      const allowed = METHODS.filter((method) => routes.find(method, path))
      // OPTIONS asks what a resource supports (RFC 9110 section 9.3.7): the answer is the Allow list.
      if (allowed.length > 0 && request.method === 'OPTIONS') {
        return reply.code(204).header('allow', allowed.join(', ')).send()
      }
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '))
        return sendProblem(reply, {
          status: 405,
          type: 'method-not-allowed',
          title: 'Method not allowed',
          detail: `${request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
        })
      }
      return sendProblem(reply, {
        status: 404,
        type: 'not-found',
        title: 'Not found',
        detail: `There is no resource at ${path}. The API lives under /v1; see /docs.`,
      })
    }

    // Registered before the CORS plugin's hook: a plain OPTIONS, which that plugin would answer
    // with a text/plain 400, gets the Allow list here (or a 404 problem), before any auth check.
    // A callback hook, as it runs on every request: an async one costs promise turns.
    app.addHook('onRequest', (request, reply, done) => {
      if (request.method === 'OPTIONS' && !isCorsPreflight(request)) return notFound(request, reply)
      done()
    })
    app.setErrorHandler(handleError)
    app.setNotFoundHandler(notFound)
  },
  { name: 'problem-details' },
)
