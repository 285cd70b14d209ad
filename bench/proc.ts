// What /proc says about the server processes: CPU time (utime + stime, which process.cpuUsage
// cannot see from outside) and resident memory. Linux only, like the benchmark machines.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined // the process has gone
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`)
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** The process and its descendants (a cluster primary and its workers). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const ppid = Number(statFields(Number(entry))?.[1])
    if (!Number.isFinite(ppid)) continue
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []))
  return tree
}

/** CPU seconds (user + system) the processes have used so far. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const fields = statFields(pid)
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    if (fields) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / CLOCK_TICKS
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(read(`/proc/${pid}/status`) ?? '')
  return match ? Number(match[1]) : 0
}

/** Resident memory of the processes together, in bytes. */
export const rssBytes = (pids: number[]) => pids.reduce((sum, pid) => sum + statusKb(pid, 'VmRSS') * 1024, 0)

/** The largest peak resident memory (VmHWM) of any one of the processes, in bytes. */
export const peakRssBytes = (pids: number[]) => Math.max(0, ...pids.map((pid) => statusKb(pid, 'VmHWM') * 1024))

/** The machine, as the results header names it. */
export function machine() {
  const cpuinfo = read('/proc/cpuinfo') ?? ''
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU'
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length
  const memKb = Number(/MemTotal:\s+(\d+) kB/.exec(read('/proc/meminfo') ?? '')?.[1] ?? 0)
  return { model, cores, memoryGb: Math.round(memKb / 1024 / 1024) }
}
