import { createHmac, randomBytes } from 'node:crypto'

// Standard Webhooks (https://www.standardwebhooks.com): symmetric signatures over
// "{webhook-id}.{webhook-timestamp}.{body}" with HMAC-SHA256, keyed by the base64-decoded secret.

export const SECRET_PREFIX = 'whsec_'

/** A new signing secret: 32 random bytes, base64, with the `whsec_` prefix. */
export const newSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`

/** The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of id, timestamp (seconds) and body. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64')
  return `v1,${mac}`
}

/** The three Standard Webhooks headers of one attempt. */
export function signatureHeaders(secret: string, id: string, timestampSeconds: number, body: string) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': sign(secret, id, timestampSeconds, body),
  }
}
