/**
 * The Electron shell: one sandboxed window on the app:// origin, IPC generated from LAB_METHODS, pushed
 * events, the menu, and the security settings of security.ts. Takes the Electron API as a parameter
 * (src/main/index.ts passes the real one, tests a fake), so nothing here imports 'electron'.
 */
import { readFile } from 'node:fs/promises';
import { IPC_EVENT_CHANNEL, type LabErrorBody, type LabReply } from '../../shared/api.js';
import type { BrowserWindowLike, ElectronLike } from './electron-like.js';
import { buildHandlerTable } from './handlers.js';
import { applicationMenu } from './menu.js';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  contentSecurityPolicy,
  isAllowedNavigation,
  isExternalLink,
  isTrustedSender,
  mainWindowOptions,
  permissionDecision,
  securityHeaders,
} from './security.js';
import type { LabService } from './service.js';
import { resolveStaticFile } from './static-files.js';

export interface ShellOptions {
  /** Built preload script (out/preload/index.cjs). */
  preloadPath: string;
  /** Built renderer (out/renderer); null when missing (the window then shows what to do). */
  rendererDir: string | null;
  /** electron-vite dev server (ELECTRON_RENDERER_URL) in development. */
  devServerUrl?: string;
  createLab(dataDir: string): Promise<LabService>;
  platform?: NodeJS.Platform;
  log?: (message: string) => void;
}

export interface ShellHandle {
  /** Settles when the window is up (or the app gave up). */
  ready: Promise<void>;
  lab(): LabService | null;
}

export function runElectronApp(electron: ElectronLike, opts: ShellOptions): ShellHandle {
  const { app } = electron;
  const log = opts.log ?? ((m: string) => console.error(m));
  const platform = opts.platform ?? process.platform;
  const dev = !app.isPackaged && Boolean(opts.devServerUrl);
  const origins = dev && opts.devServerUrl ? [APP_ORIGIN, new URL(opts.devServerUrl).origin] : [APP_ORIGIN];
  const csp = contentSecurityPolicy({ dev, devServer: opts.devServerUrl });
  let lab: LabService | null = null;
  let window: BrowserWindowLike | null = null;

  // A second start focuses the running window: two instances must not share one data folder.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { ready: Promise.resolve(), lab: () => null };
  }
  app.enableSandbox();
  electron.protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);

  guardWebContents(electron, origins);
  app.on('second-instance', () => {
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (e) => {
    if (!lab || closing) return;
    // Stop active runs cleanly (cancelled, or crashed if they do not stop in time) and flush the store, then quit for real.
    e.preventDefault();
    closing = true;
    const l = lab;
    lab = null;
    void l.close().finally(() => app.quit());
  });

  const createWindow = (): void => {
    const w = new electron.BrowserWindow(mainWindowOptions({ preload: opts.preloadPath, devTools: !app.isPackaged }));
    window = w;
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => {
      if (window === w) window = null;
    });
    void w.loadURL(dev && opts.devServerUrl ? opts.devServerUrl : `${APP_ORIGIN}/index.html`);
  };

  const ready = (async () => {
    await app.whenReady();
    secureSession(electron, origins, csp);
    electron.protocol.handle(APP_SCHEME, (request) => serveAppFile(request.url, opts.rendererDir, csp));

    try {
      lab = await opts.createLab(app.getPath('userData'));
    } catch (err) {
      showOpenLabError(electron, err);
      app.exit(1);
      return;
    }
    const service = lab;
    exposeLab(electron, service, origins, log);
    const menu = applicationMenu({
      platform,
      dev,
      send: (command) => service.publish({ kind: 'menu', at: Date.now(), command }),
    });
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(menu));
    createWindow();
    app.on('activate', () => {
      if (electron.BrowserWindow.getAllWindows().length === 0) createWindow();
    });
    // Probe the training backends in the background so the first getInfo answers at once.
    void service.getInfo().catch(() => undefined);
  })();

  return { ready, lab: () => lab };
}

/** The lab could not start: a dialog that says what failed and what to do next. */
function showOpenLabError(electron: ElectronLike, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  // The lab opens its Redis (--redis URL / SPECTRAL_LAB_REDIS) before the store: say which of the two failed.
  if (err instanceof Error && err.name === 'RedisUnreachable') {
    electron.dialog.showErrorBox(
      'Spectral Lab cannot reach its Redis',
      `${message}\n\nOr start Spectral Lab without --redis and without SPECTRAL_LAB_REDIS to use the local queue only.`,
    );
  } else {
    electron.dialog.showErrorBox(
      'Spectral Lab cannot open its data folder',
      `${message}\n\nData folder: ${electron.app.getPath('userData')}`,
    );
  }
}

/** Every page: no webviews, navigation only within the app's origins, external links in the browser. */
function guardWebContents(electron: ElectronLike, origins: string[]): void {
  electron.app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    const guard = (e: { preventDefault(): void }, url: string) => {
      if (!isAllowedNavigation(url, origins)) e.preventDefault();
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLink(url)) void electron.shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

/** The default session: permissions by permissionDecision, and the CSP on every response of the app's origins. */
function secureSession(electron: ElectronLike, origins: string[], csp: string): void {
  const ses = electron.session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionDecision(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => permissionDecision(permission));
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    if (origins.some((o) => details.url.startsWith(o))) headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
}

/** The LabApi over IPC (only for the workbench's own pages) and every LabEvent to every window. */
function exposeLab(
  electron: ElectronLike,
  service: LabService,
  origins: string[],
  log: (message: string) => void,
): void {
  const table = buildHandlerTable(service, (m, err) =>
    log(`[lab] ${m} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  for (const h of table.values()) {
    electron.ipcMain.handle(h.channel, async (event, ...args): Promise<LabReply> => {
      if (!isTrustedSender(event.senderFrame?.url, origins)) {
        const refused: LabErrorBody = {
          error: 'IPC from a page that is not the workbench was refused.',
          hint: 'Only the Spectral Lab window may call the lab.',
          code: 'forbidden',
        };
        return { ok: false, ...refused };
      }
      return h.handle(args);
    });
  }
  service.subscribe((e) => {
    for (const w of electron.BrowserWindow.getAllWindows()) {
      if (!w.isDestroyed() && !w.webContents.isDestroyed()) w.webContents.send(IPC_EVENT_CHANNEL, e);
    }
  });
}

/** app://lab/<path>: a file of the built renderer with the security headers, or a plain 404. */
export async function serveAppFile(url: string, rendererDir: string | null, csp: string): Promise<Response> {
  const headers = securityHeaders(csp);
  const u = new URL(url);
  if (u.host !== APP_HOST) return new Response('Not found', { status: 404, headers });
  if (!rendererDir) {
    const page =
      '<!doctype html><title>Spectral Lab</title><h1>The UI is not built</h1><p>Run <code>npm run build</code> in the project folder, then start the app again.</p>';
    return new Response(page, { status: 503, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
  }
  const hit = resolveStaticFile(rendererDir, u.pathname);
  if (!hit) return new Response('Not found', { status: 404, headers });
  return new Response(await readFile(hit.file), {
    status: 200,
    headers: { ...headers, 'Content-Type': hit.contentType },
  });
}
