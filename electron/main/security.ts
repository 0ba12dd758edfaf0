import { app, session, shell, type WebContents } from 'electron';
import { CSP, isAllowedExternalUrl, isAllowedPermission } from './policy';

/**
 * Only our own renderer may load in a window: no navigation away, no new windows, no webviews, no
 * permissions beyond the clipboard's write, and links open in the user's browser only to allow-listed
 * https hosts (policy.ts).
 */
export function hardenApp(isOwnUrl: (url: string) => boolean, opts: { devServer: boolean }): void {
  const ses = session.defaultSession;
  // The Vite dev server needs inline scripts for hot reload; packaged and built apps always get the CSP.
  if (!opts.devServer) {
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
  }
  const fromOwnPage = (wc: WebContents | null): boolean => wc !== null && !wc.isDestroyed() && isOwnUrl(wc.getURL());
  ses.setPermissionRequestHandler((wc, permission, callback) => callback(isAllowedPermission(permission, fromOwnPage(wc))));
  ses.setPermissionCheckHandler((wc, permission) => isAllowedPermission(permission, fromOwnPage(wc)));
  ses.setDevicePermissionHandler(() => false);
  const openOutside = (url: string): void => {
    // Links to docs or model cards open in the user's browser, never inside the app, and only to known https hosts.
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    else console.warn(`Whittle: not opening ${url} (only https links to allow-listed hosts open in the browser)`);
  };
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (isOwnUrl(url)) return;
      event.preventDefault();
      openOutside(url);
    });
    contents.on('will-redirect', (event, url) => {
      if (!isOwnUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    });
  });
}
