/**
 * The security policy of the workbench window and of `serve`, as plain data and pure functions so it is
 * unit-tested under Node (no 'electron' import here). Follows Electron's security checklist: isolated,
 * sandboxed renderer without Node; one origin; no navigation, no new windows, no permissions.
 */

/** The origin the Electron window loads the built renderer from (a privileged custom scheme, not file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'lab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Content-Security-Policy of the UI. Everything from our own origin; no inline or eval'd script, no
 * plugins, no framing, no base-tag tricks. `dev` allows what the Vite dev server needs (HMR websocket and
 * injected <style> tags); built output needs neither.
 */
export function contentSecurityPolicy(options: { dev?: boolean; devServer?: string } = {}): string {
  const connect = ["'self'"];
  const style = ["'self'"];
  const script = ["'self'"];
  if (options.dev) {
    style.push("'unsafe-inline'");
    if (options.devServer) {
      const u = new URL(options.devServer);
      connect.push(u.origin, `ws://${u.host}`);
      script.push(u.origin);
      style.push(u.origin);
    }
  }
  return [
    "default-src 'self'",
    `script-src ${script.join(' ')}`,
    `style-src ${style.join(' ')}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
  ].join('; ');
}

/** Headers every UI response carries (serve and the app:// protocol). */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/** The subset of Electron's BrowserWindowConstructorOptions we set (kept structural: no electron types). */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  backgroundColor: string;
  icon?: string;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    navigateOnDragDrop: false;
    spellcheck: false;
    devTools: boolean;
  };
}

export function mainWindowOptions(opts: { preload: string; devTools: boolean; icon?: string }): WindowOptions {
  const o: WindowOptions = {
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    title: 'Spectral Lab',
    show: false, // shown on 'ready-to-show', no white flash
    backgroundColor: '#14161a',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: opts.devTools,
    },
  };
  if (opts.icon) o.icon = opts.icon;
  return o;
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    // URL.origin is "null" for non-special schemes such as app:; rebuild it from scheme + host.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/**
 * May the window navigate to `url`? Only within the origin it was loaded from (the SPA uses hash or
 * history routing, which does not even fire will-navigate). Everything else is denied.
 */
export function isAllowedNavigation(url: string, allowedOrigins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && allowedOrigins.includes(o);
}

/** Links the user clicks that point outside go to the system browser, and only http(s) ones. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** IPC is accepted only from frames showing our UI (not from any page a bug might load). */
export function isTrustedSender(frameUrl: string | undefined, allowedOrigins: readonly string[]): boolean {
  return typeof frameUrl === 'string' && isAllowedNavigation(frameUrl, allowedOrigins);
}

/** Permission requests (camera, notifications, geolocation …): the lab needs none. */
export function permissionDecision(_permission: string): false {
  return false;
}
