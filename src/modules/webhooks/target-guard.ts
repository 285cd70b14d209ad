import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { normalizeHost } from '../../config.js'

/**
 * Where webhooks may not go unless WEBHOOK_ALLOW_HOSTS says so: anything that is not a public
 * unicast address. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) match the IPv4 ranges (BlockList
 * compares them as IPv4); the IPv6 transition ranges that embed an IPv4 address are refused whole.
 */
const REFUSED_RANGES: [label: string, network: string, prefix: number][] = [
  ['unspecified', '0.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['shared (CGNAT)', '100.64.0.0', 10],
  ['loopback', '127.0.0.0', 8],
  ['link-local', '169.254.0.0', 16],
  ['private', '172.16.0.0', 12],
  ['reserved', '192.0.0.0', 24],
  ['documentation', '192.0.2.0', 24],
  ['private', '192.168.0.0', 16],
  ['benchmarking', '198.18.0.0', 15],
  ['documentation', '198.51.100.0', 24],
  ['documentation', '203.0.113.0', 24],
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['IPv4-compatible', '::', 96],
  ['NAT64', '64:ff9b::', 96],
  ['NAT64', '64:ff9b:1::', 48],
  ['discard', '100::', 64],
  ['Teredo', '2001::', 32],
  ['documentation', '2001:db8::', 32],
  ['6to4', '2002::', 16],
  ['unique-local', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  ['site-local', 'fec0::', 10],
  ['multicast', 'ff00::', 8],
]

const RANGES = REFUSED_RANGES.map(([label, network, prefix]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4')
  return { label, list }
})

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4')

/** The kind of non-public address this is (`loopback`, `private`, ...), or null for a public one. */
export function refusedRange(address: string): string | null {
  const bare = normalizeHost(address)
  if (isIP(bare) === 0) return null
  return RANGES.find(({ list }) => list.check(bare, family(bare)))?.label ?? null
}

/** The target is refused: not sent to (and at registration, a 422). */
export class TargetRefused extends Error {
  override name = 'TargetRefused'
}

type Resolve = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

export type TargetGuardOptions = {
  /** WEBHOOK_ALLOW_HOSTS: host names and addresses let through. */
  allowHosts: readonly string[]
  /** The resolver (node:dns lookup); tests pass their own. */
  resolve?: Resolve
}

const isLocalhostName = (host: string) => host === 'localhost' || host.endsWith('.localhost')

/**
 * Checks webhook targets: at registration the URL (scheme, and a literal address or a localhost
 * name), at send time every address the host name resolves to, through `lookup`, which the HTTP
 * request connects with, so the addresses checked are the ones used (no second resolution).
 */
export function createTargetGuard({ allowHosts, resolve = dnsLookup as Resolve }: TargetGuardOptions) {
  const allowedNames = new Set(allowHosts.filter((host) => isIP(host) === 0))
  const allowedAddresses = new BlockList()
  for (const host of allowHosts) if (isIP(host) !== 0) allowedAddresses.addAddress(host, family(host))

  const addressAllowed = (address: string) => allowedAddresses.check(address, family(address))

  function addressProblem(address: string): string | null {
    if (addressAllowed(address)) return null
    const label = refusedRange(address)
    return label && `${address} is a ${label} address`
  }

  /** Why this URL may not be a webhook target, or null. Host names are resolved at send time. */
  function checkUrl(raw: string): string | null {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      return 'is not a valid URL'
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL'
    const host = normalizeHost(url.hostname)
    if (allowedNames.has(host)) return null
    if (isIP(host) !== 0) {
      const problem = addressProblem(host)
      return problem && `${problem}: webhooks only go to public addresses (see WEBHOOK_ALLOW_HOSTS)`
    }
    if (isLocalhostName(host)) return `${host} is a loopback name: webhooks only go to public addresses (see WEBHOOK_ALLOW_HOSTS)`
    return null
  }

  /** For http.request: resolves the name and refuses it unless every address passes. */
  const lookup: LookupFunction = (hostname, options, callback) => {
    const host = normalizeHost(hostname)
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '')
      const problems = allowedNames.has(host) ? [] : addresses.map((a) => addressProblem(a.address)).filter((p) => p !== null)
      if (isLocalhostName(host) && !allowedNames.has(host)) problems.push(`${host} is a loopback name`)
      if (problems.length > 0) return callback(new TargetRefused(`refused: ${hostname} resolves to ${problems.join('; ')}`), '')
      const [first] = addresses
      if (!first) return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '')
      if (options.all) callback(null, addresses)
      else callback(null, first.address, first.family)
    })
  }

  return { checkUrl, lookup }
}

export type TargetGuard = ReturnType<typeof createTargetGuard>
