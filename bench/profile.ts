// Where the time goes: aggregates V8 .cpuprofile files (node --cpu-prof, as `npm run bench --
// --profile` starts the server) by self time per function and per package or source file, and
// by inclusive time per package and per function of our own code (src/).
// Alone: npx tsx bench/profile.ts DIR_OR_FILE [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

type CallFrame = { functionName: string; url: string; lineNumber: number }
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] }
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** node_modules/<package> (scoped too), src/<file> (or dist/), node:internal, or a V8 bucket. */
function moduleOf({ url, functionName }: CallFrame): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const own = /\/(src|dist|bench)\/(.+)$/.exec(url)
  if (own) return `${own[1]}/${own[2]}`
  if (url.startsWith('node:')) return 'node (core)'
  return url
}

const functionKey = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'} ${moduleOf(frame)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`

function add(map: Map<string, number>, key: string, value: number) {
  map.set(key, (map.get(key) ?? 0) + value)
}

export function aggregate(profiles: Profile[]) {
  const self = new Map<string, number>()
  const selfByModule = new Map<string, number>()
  const inclusiveByModule = new Map<string, number>()
  const inclusiveOwn = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0
      const node = byId.get(id)!
      total += us
      if (node.callFrame.functionName === '(idle)') {
        idle += us
        return
      }
      add(self, functionKey(node.callFrame), us)
      add(selfByModule, moduleOf(node.callFrame), us)
      const modules = new Set<string>()
      const own = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame
        modules.add(moduleOf(frame))
        if (/\/(src|dist)\//.test(frame.url)) own.add(functionKey(frame))
      }
      for (const m of modules) add(inclusiveByModule, m, us)
      for (const f of own) add(inclusiveOwn, f, us)
    })
  }
  return { total, idle, self, selfByModule, inclusiveByModule, inclusiveOwn }
}

function table(title: string, map: Map<string, number>, busy: number, top: number): string[] {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
  return [
    `### ${title}`,
    '',
    '| | ms | % of busy |',
    '|---|---:|---:|',
    ...rows.map(([key, us]) => `| \`${key}\` | ${Math.round(us / 1000)} | ${((100 * us) / busy).toFixed(1)} |`),
    '',
  ]
}

export function summarizeProfiles(path: string, top = 25): string {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(path, f))
    : [path]
  if (files.length === 0) return `No .cpuprofile in ${path}`
  const { total, idle, self, selfByModule, inclusiveByModule, inclusiveOwn } = aggregate(
    files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile),
  )
  const busy = total - idle
  return [
    `## CPU profile: ${files.length} file(s) in ${path}`,
    '',
    `Sampled ${Math.round(total / 1000)} ms, busy ${Math.round(busy / 1000)} ms (idle ${Math.round(idle / 1000)} ms). Percentages are of busy time.`,
    '',
    ...table('Self time by package or file', selfByModule, busy, top),
    ...table('Inclusive time by package or file (on the stack)', inclusiveByModule, busy, top),
    ...table('Self time by function', self, busy, top),
    ...table('Inclusive time of our own functions (src/, dist/)', inclusiveOwn, busy, top),
  ].join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
  console.log(summarizeProfiles(positionals[0] ?? 'bench/results/profiles', Number(values.top)))
}
