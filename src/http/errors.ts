/**
 * Typed errors that code throws; the problem-details plugin is the one place that turns them
 * into RFC 9457 responses. `type` is a stable path under /problems/.
 */
export type FieldError = { in: 'body' | 'query' | 'params' | 'headers'; pointer: string; message: string }

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'HttpProblem'
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new HttpProblem(400, 'validation', 'Your request is not valid', detail, errors ? { errors } : {})

export const unauthorized = (detail: string) =>
  new HttpProblem(401, 'unauthorized', 'Authentication required', detail, {}, {
    'www-authenticate': 'Bearer realm="newsdesk"',
  })

export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Not allowed', detail)

export const notFound = (detail: string) => new HttpProblem(404, 'not-found', 'Not found', detail)

export const gone = (detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpProblem(410, 'gone', 'Gone', detail, extensions)

export const conflict = (detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpProblem(409, 'conflict', 'Conflict with the current state', detail, extensions)

export const slugTaken = (slug: string) =>
  conflict(`The slug "${slug}" is already taken.`, {
    errors: [{ in: 'body', pointer: '/slug', message: 'is already taken' }],
  })

export const preconditionFailed = (detail: string, extensions: Record<string, unknown> = {}) =>
  new HttpProblem(412, 'precondition-failed', 'Precondition failed', detail, extensions)

export const unprocessable = (detail: string, errors: FieldError[]) =>
  new HttpProblem(422, 'unprocessable', 'The request breaks a rule', detail, { errors })

// The Idempotency-Key header (IETF draft "The Idempotency-Key HTTP Header Field").
const idempotencyKeyError = (message: string): FieldError[] => [{ in: 'headers', pointer: '/idempotency-key', message }]

export const invalidIdempotencyKey = () =>
  badRequest(
    'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
    idempotencyKeyError('must be 1 to 255 printable ASCII characters'),
  )

export const idempotencyKeyReused = () =>
  new HttpProblem(
    422,
    'idempotency-key-reused',
    'The idempotency key was used for another request',
    'This Idempotency-Key was already used with a different method, path or body in the last 24 hours. Send a new key for a new request.',
    { errors: idempotencyKeyError('was used for a different request') },
  )

export const idempotencyKeyInFlight = () =>
  new HttpProblem(
    409,
    'idempotency-key-in-flight',
    'A request with this idempotency key is still being processed',
    'The first request sent with this Idempotency-Key has not finished yet. Retry it once that one has answered.',
  )
