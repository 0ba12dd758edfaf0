/**
 * Guards a server bound to loopback against DNS rebinding: a page on evil.example that resolves to
 * 127.0.0.1 sends `Host: evil.example`, which we refuse. When the user binds another address on
 * purpose (--host 0.0.0.0), any Host is accepted.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function allowedHostHeader(hostHeader: string | undefined, boundHost: string): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d+$/, '');
  return isLoopbackHost(name);
}
