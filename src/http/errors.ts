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
