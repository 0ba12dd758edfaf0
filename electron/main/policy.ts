// The Electron shell's security policy as plain data and functions (no `electron` import), so unit
// tests check exactly what security.ts applies.

/**
 * The window's CSP. The renderer talks to the engine over IPC, so it needs no network at all:
 * connect-src is its own origin only (no ws:/wss: to any host).
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Hosts (and their subdomains) whose https pages links in the app may open in the user's browser. */
export const EXTERNAL_HOSTS: readonly string[] = [
  'huggingface.co',
  'hf.co',
  'github.com',
  'arxiv.org',
  'onnxruntime.ai',
  'microsoft.github.io',
  'pytorch.org',
  'python.org',
  'electronjs.org',
  'nodejs.org',
];

/** Whether `shell.openExternal` may open `url`: https only, on an allow-listed host, no credentials in it. */
export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password || (u.port !== '' && u.port !== '443')) return false;
  const host = u.hostname.toLowerCase();
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

/**
 * Permissions the renderer may have: writing to the clipboard (the Copy buttons), from our own page.
 * Everything else (camera, microphone, geolocation, notifications, HID, serial, …) is refused.
 */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function isAllowedPermission(permission: string, fromOwnPage: boolean): boolean {
  return fromOwnPage && ALLOWED_PERMISSIONS.has(permission);
}
