import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'

export type PostResult = { statusCode: number; location: string | undefined }

export type TransportOptions = {
  /** Resolves host names for the connection (the target guard's checked lookup). */
  lookup: LookupFunction
  /** The whole attempt, connection to response headers, must fit in this. */
  timeoutMs: number
}

/**
 * POSTs a webhook body with node:http(s): the connection uses the guard's lookup, so the
 * addresses checked are the addresses connected to. Redirects are never followed (a 3xx comes
 * back as the result, with its Location); the response body is read and thrown away.
 */
export function createTransport({ lookup, timeoutMs }: TransportOptions) {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) }

  function post(url: URL, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:'
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup,
        signal,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      })
      const deadline = setTimeout(
        () => request.destroy(new Error(`no response within ${timeoutMs / 1000} s`)),
        timeoutMs,
      )
      request.on('error', (error) => {
        clearTimeout(deadline)
        reject(error)
      })
      request.on('response', (response) => {
        clearTimeout(deadline)
        resolve({ statusCode: response.statusCode ?? 0, location: response.headers.location })
        // Drain the body so the connection can be reused, but never wait on it for long.
        const drain = setTimeout(() => response.destroy(), timeoutMs).unref()
        response.on('close', () => clearTimeout(drain))
        response.on('error', () => {})
        response.resume()
      })
      request.end(body)
    })
  }

  return {
    post,
    /** Closes pooled connections (on shutdown). */
    close() {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

export type Transport = ReturnType<typeof createTransport>
