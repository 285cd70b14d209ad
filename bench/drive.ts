// One scenario under load: autocannon's programmatic API after a warm-up, for a fixed time,
// with the server's CPU time (/proc, all its processes) and resident memory sampled around it.
import autocannon, { type Request } from 'autocannon'
import { cpuSeconds, peakRssBytes, processTree, rssBytes } from './proc.js'

/** One request of a scenario: a fixed path, or a function that picks the next one. */
export type ScenarioRequest = {
  method?: 'GET' | 'PATCH'
  path: string | ((context: Record<string, unknown>) => string)
  headers?: Record<string, string> | ((context: Record<string, unknown>) => Record<string, string>)
  body?: (context: Record<string, unknown>) => string
  onResponse?: (status: number, context: Record<string, unknown>, headers: Record<string, string | string[]>) => void
}

export type Scenario = {
  name: string
  /** Requests a connection sends in turn (one unless it is a sequence such as GET then PATCH). */
  requests: ScenarioRequest[]
  /** Statuses that are the expected outcome (a 412 from a concurrent edit is one). */
  expect: number[]
}

export type Measurement = {
  name: string
  requestsPerSecond: number
  p50: number
  p99: number
  /** Server CPU time per request, ms (user + system, every server process). */
  cpuMsPerRequest: number
  /** Server CPU use over the run, in cores (1.0 = one core busy). */
  cpuCores: number
  /** The load generator's own CPU use, in cores: near 1.0 means it was the bottleneck. */
  clientCores: number
  /** The server processes' resident memory, sampled every 100 ms: the highest sum. */
  peakRssBytes: number
  statuses: Record<string, number>
  unexpected: number
  errors: number
}

function toAutocannon(request: ScenarioRequest): autocannon.Request {
  const dynamic = typeof request.path === 'function' || typeof request.headers === 'function' || request.body !== undefined
  const build = (context: Record<string, unknown>) => {
    const built: Partial<Request> & Record<string, unknown> = { method: request.method ?? 'GET' }
    built.path = typeof request.path === 'function' ? request.path(context) : request.path
    const headers = typeof request.headers === 'function' ? request.headers(context) : request.headers
    if (headers) built.headers = headers
    if (request.body) built.body = request.body(context)
    return built as Request
  }
  return {
    // setupRequest gets autocannon's defaults (host, port...) and must hand them back.
    ...(dynamic
      ? {
          setupRequest: (req: Request, context: object) => {
            const built = build(context as Record<string, unknown>)
            return { ...req, ...built, headers: { ...req.headers, ...built.headers } }
          },
        }
      : build({})),
    ...(request.onResponse
      ? {
          onResponse: (status: number, _body: string, context: object, headers: Record<string, string | string[]>) =>
            request.onResponse!(status, context as Record<string, unknown>, headers),
        }
      : {}),
  } as autocannon.Request
}

function fire(url: string, scenario: Scenario, seconds: number, connections: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    requests: scenario.requests.map(toAutocannon),
  })
}

/** Warm-up, then the measured run; `pid` is the server's (its workers are found under it). */
export async function drive(
  url: string,
  pid: number,
  scenario: Scenario,
  options: { seconds: number; warmupSeconds: number; connections: number },
): Promise<Measurement> {
  if (options.warmupSeconds > 0) await fire(url, scenario, options.warmupSeconds, options.connections)
  const pids = processTree(pid)
  let peak = rssBytes(pids)
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pids))), 100)
  const cpuBefore = cpuSeconds(pids)
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const result = await fire(url, scenario, options.seconds, options.connections)
  const elapsed = (performance.now() - started) / 1000
  const cpu = cpuSeconds(pids) - cpuBefore
  const client = process.cpuUsage(clientBefore)
  clearInterval(sampler)
  peak = Math.max(peak, rssBytes(pids))
  const statuses: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat?.count ?? 0
  const total = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  const unexpected = Object.entries(statuses).reduce((sum, [code, n]) => sum + (scenario.expect.includes(Number(code)) ? 0 : n), 0)
  return {
    name: scenario.name,
    requestsPerSecond: total / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: total === 0 ? NaN : (cpu * 1000) / total,
    cpuCores: cpu / elapsed,
    clientCores: (client.user + client.system) / 1e6 / elapsed,
    peakRssBytes: peak,
    statuses,
    unexpected,
    errors: result.errors + result.timeouts,
  }
}

export { peakRssBytes, processTree }
