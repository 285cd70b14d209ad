import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Deps } from '../../deps.js'
import { retryDelay, RETRY } from './backoff.js'
import { createDeliveriesRepository, type DeliveryRow } from './deliveries.repository.js'
import { createOutbox } from './outbox.js'
import { signatureHeaders } from './signing.js'
import { createTargetGuard, TargetRefused, type TargetGuardOptions } from './target-guard.js'
import { createTransport } from './transport.js'
import { createWebhooksRepository, type WebhookRow } from './webhooks.repository.js'
import { DAY_MS } from '../../time.js'

export type DispatcherOptions = {
  /** How long one attempt may take, connection to response headers. */
  timeoutMs?: number
  /** Sends in flight per process, and per webhook (a slow receiver holds no more than that). */
  maxInFlight?: number
  perWebhook?: number
  /** The resolver for the target guard (tests). */
  resolve?: TargetGuardOptions['resolve']
  random?: () => number
  log?: FastifyBaseLogger
}

const PRUNE_EVERY = 60 * 60 * 1000

type Outcome = { statusCode: number | null; error: string | null }

/**
 * The webhook dispatcher: fills the outbox from the change feed and sends what is due, signed
 * (Standard Webhooks), retrying with backoff. Everything it knows is in SQLite, so deliveries
 * survive restarts, and any number of processes can run one: deliveries are leased before
 * sending. Nothing here runs inside a request: routes never wait on a receiver.
 */
export function createDispatcher(deps: Deps, options: DispatcherOptions = {}) {
  const { db, clock, config } = deps
  const { timeoutMs = 10_000, maxInFlight = 16, perWebhook = 4, random = Math.random, log } = options
  const outbox = createOutbox(deps)
  const deliveries = createDeliveriesRepository(db)
  const hooks = createWebhooksRepository(db)
  const guard = createTargetGuard({ allowHosts: config.webhookAllowHosts, resolve: options.resolve })
  const transport = createTransport({ lookup: guard.lookup, timeoutMs })
  const stopping = new AbortController()
  const inFlight = new Map<Promise<void>, string>()
  let timer: NodeJS.Timeout | undefined
  let nudged = false
  let lastPrune = 0

  async function attempt(hook: WebhookRow, delivery: DeliveryRow): Promise<Outcome> {
    const refused = guard.checkUrl(hook.url)
    if (refused) return { statusCode: null, error: `refused: ${hook.url} ${refused}` }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Newsdesk-Webhooks/1.0',
      ...signatureHeaders(hook.secret, delivery.id, Math.floor(clock() / 1000), delivery.payload),
    }
    try {
      const { statusCode, location } = await transport.post(new URL(hook.url), delivery.payload, headers, stopping.signal)
      if (statusCode >= 200 && statusCode < 300) return { statusCode, error: null }
      if (statusCode >= 300 && statusCode < 400) {
        return { statusCode, error: `redirect to ${location ?? '(no Location)'} not followed: register the final URL` }
      }
      return { statusCode, error: `the receiver answered ${statusCode}` }
    } catch (error) {
      if (stopping.signal.aborted) throw error
      const message = error instanceof TargetRefused ? error.message : `${(error as Error).message || String(error)}`
      return { statusCode: null, error: message.slice(0, 1000) }
    }
  }

  /** One attempt at one leased delivery, recorded with its outcome. */
  async function send(delivery: DeliveryRow, token: string) {
    const hook = hooks.find(delivery.webhookId)
    if (!hook) return
    const startedAt = clock()
    const started = performance.now()
    let outcome: Outcome
    try {
      outcome = await attempt(hook, delivery)
    } catch {
      // Shutting down mid-send: not an attempt. The lease goes, so the next start sends it.
      deliveries.settle(delivery.id, token, {})
      return
    }
    const durationMs = Math.round(performance.now() - started)
    const now = clock()
    const attempts = delivery.attempts + 1
    const delay = retryDelay(attempts, random)
    const giveUp = attempts >= config.webhookMaxAttempts || now + delay - delivery.queuedAt > RETRY.giveUpAfterMs
    const ok = outcome.error === null
    db.transaction((tx) => {
      const repo = createDeliveriesRepository(tx)
      // Deleted with its webhook while it was being sent: nothing left to record.
      if (!repo.exists(delivery.id)) return
      repo.logAttempt({ deliveryId: delivery.id, attemptedAt: startedAt, durationMs, ...outcome })
      repo.settle(delivery.id, token, {
        status: ok ? 'delivered' : giveUp ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: ok || giveUp ? null : now + delay,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        deliveredAt: ok ? now : null,
      })
    })
    if (!ok) log?.info({ webhookId: hook.id, deliveryId: delivery.id, attempts, error: outcome.error }, 'webhook delivery failed')
  }

  /** Leases what is due (within the in-flight limits) and sends it; resolves when those sends end. */
  async function sendDue(): Promise<number> {
    const now = clock()
    const room = maxInFlight - inFlight.size
    if (room <= 0 || stopping.signal.aborted || !deliveries.anyDue(now)) return 0
    const busy = new Map<string, number>()
    for (const id of inFlight.values()) busy.set(id, (busy.get(id) ?? 0) + 1)
    const token = randomUUID()
    const claimed = deliveries.claim({
      now,
      leaseUntil: now + timeoutMs + 30_000,
      token,
      limit: room,
      perWebhook,
      skip: [...busy].filter(([, n]) => n >= perWebhook).map(([id]) => id),
    })
    const sends = claimed.map((delivery) => {
      const sending = send(delivery, token)
        .catch((error) => log?.error({ err: error, deliveryId: delivery.id }, 'webhook send crashed'))
        .finally(() => inFlight.delete(sending))
      inFlight.set(sending, delivery.webhookId)
      return sending
    })
    await Promise.all(sends)
    return claimed.length
  }

  function prune() {
    const now = clock()
    if (now - lastPrune < PRUNE_EVERY) return
    lastPrune = now
    deliveries.prune(now - config.changesRetentionDays * DAY_MS)
  }

  /** The timer's round: never awaits the sends, so a slow receiver never holds up the next round. */
  function round() {
    try {
      outbox.enqueue()
      prune()
      void sendDue().catch((error) => log?.error({ err: error }, 'webhook dispatch failed'))
    } catch (error) {
      log?.error({ err: error }, 'webhook dispatch failed')
    }
  }

  function schedule() {
    if (stopping.signal.aborted) return
    timer = setTimeout(() => {
      round()
      schedule()
    }, config.webhookDispatchIntervalMs)
    timer.unref()
  }

  return {
    /** One round, awaited to the end of its sends: what tests drive instead of the timer. */
    async tick() {
      outbox.enqueue()
      return sendDue()
    },

    /** Starts the timer (WEBHOOK_DISPATCH_INTERVAL_MS; 0 leaves it off). */
    start() {
      if (config.webhookDispatchIntervalMs > 0 && timer === undefined) schedule()
    },

    /**
     * After a write: take in the new events soon rather than at the next round, so that a quick
     * second edit does not fold an article's first publication into an update.
     */
    nudge() {
      if (timer === undefined || nudged || stopping.signal.aborted) return
      nudged = true
      setImmediate(() => {
        nudged = false
        if (!stopping.signal.aborted) round()
      })
    },

    /** Stops the timer, abandons sends in flight (their leases are released) and closes connections. */
    async stop() {
      stopping.abort()
      clearTimeout(timer)
      await Promise.allSettled(inFlight.keys())
      transport.close()
    },
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
