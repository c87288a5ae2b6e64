import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IPC_EVENT_CHANNEL, ipcChannel, LAB_METHOD_NAMES, type LabEvent } from '../../src/shared/api.js';
import type {
  ElectronLike,
  IpcMainEventLike,
  MenuItemTemplate,
  WebContentsLike,
} from '../../src/main/app/electron-like.js';
import { runElectronApp } from '../../src/main/app/electron-shell.js';
import { LabService } from '../../src/main/app/service.js';
import { FakeEngine, MemoryStore } from './fakes.js';

type Listener = (...a: never[]) => unknown;

/** Records what the shell asks of Electron; enough behaviour to drive it. */
function fakeElectron() {
  const appHandlers = new Map<string, Listener>();
  const ipc = new Map<string, (e: IpcMainEventLike, ...a: unknown[]) => Promise<unknown>>();
  const sent: [string, unknown][] = [];
  const windows: { options: Record<string, unknown>; loaded: string[] }[] = [];
  const rec = {
    lockRequested: false,
    sandbox: false,
    schemes: [] as { scheme: string; privileges: Record<string, boolean> }[],
    protocolHandler: null as null | ((r: { url: string; method: string }) => Response | Promise<Response>),
    permissionRequest: null as null | ((wc: unknown, p: string, cb: (g: boolean) => void) => void),
    headers: null as
      | null
      | ((
          d: { url: string; responseHeaders?: Record<string, string[] | string> },
          cb: (r: { responseHeaders?: Record<string, string[] | string> }) => void,
        ) => void),
    menu: [] as MenuItemTemplate[],
  };
  const webContents: WebContentsLike = {
    id: 1,
    send: (channel, payload) => void sent.push([channel, payload]),
    isDestroyed: () => false,
    on: () => undefined,
    setWindowOpenHandler: () => undefined,
    printToPDF: async () => new Uint8Array(),
  };
  class BrowserWindow {
    webContents = webContents;
    loaded: string[] = [];
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this);
    }
    async loadURL(u: string) {
      this.loaded.push(u);
    }
    once() {}
    on() {}
    show() {}
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return false;
    }
    destroy() {}
    static getAllWindows() {
      return windows as unknown as BrowserWindow[];
    }
  }
  const electron = {
    app: {
      requestSingleInstanceLock: () => (rec.lockRequested = true),
      quit: () => undefined,
      exit: () => undefined,
      whenReady: async () => undefined,
      getPath: () => '/tmp/fake-user-data',
      getVersion: () => '0.1.0',
      isPackaged: true,
      enableSandbox: () => void (rec.sandbox = true),
      on: (ev: string, l: Listener) => void appHandlers.set(ev, l),
    },
    BrowserWindow,
    ipcMain: {
      handle: (ch: string, l: (e: IpcMainEventLike, ...a: unknown[]) => Promise<unknown>) => void ipc.set(ch, l),
    },
    Menu: { buildFromTemplate: (t: MenuItemTemplate[]) => (rec.menu = t), setApplicationMenu: () => undefined },
    protocol: {
      registerSchemesAsPrivileged: (s: typeof rec.schemes) => void (rec.schemes = s),
      handle: (_s: string, h: typeof rec.protocolHandler) => void (rec.protocolHandler = h),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof rec.permissionRequest) => void (rec.permissionRequest = h),
        setPermissionCheckHandler: () => undefined,
        webRequest: { onHeadersReceived: (h: typeof rec.headers) => void (rec.headers = h) },
      },
    },
    shell: { openExternal: async () => undefined },
    dialog: { showErrorBox: () => undefined },
  } as unknown as ElectronLike;
  return { electron, rec, appHandlers, ipc, sent, windows };
}

describe('Electron shell (fake Electron)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-shell-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>lab</title>');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start() {
    const f = fakeElectron();
    const engine = new FakeEngine();
    let lab: LabService | null = null;
    const shell = runElectronApp(f.electron, {
      preloadPath: '/x/preload/index.cjs',
      rendererDir: dir,
      platform: 'linux',
      log: () => undefined,
      createLab: async () =>
        (lab = new LabService({ engine, store: new MemoryStore(), dataDir: '/tmp', shell: 'electron', version: '0' })),
    });
    await shell.ready;
    return { ...f, lab: lab as unknown as LabService };
  }

  it('an unreachable Redis at start: an error box that names Redis (not the data folder), and the app exits', async () => {
    const f = fakeElectron();
    const boxes: [string, string][] = [];
    let exitCode: number | null = null;
    const electron = {
      ...f.electron,
      dialog: { showErrorBox: (title: string, text: string) => void boxes.push([title, text]) },
      app: { ...f.electron.app, exit: (code: number) => void (exitCode = code) },
    } as unknown as ElectronLike;
    const shell = runElectronApp(electron, {
      preloadPath: '/x/preload/index.cjs',
      rendererDir: dir,
      platform: 'linux',
      log: () => undefined,
      createLab: async () => {
        throw Object.assign(new Error('Cannot reach Redis at redis://127.0.0.1:1: ECONNREFUSED.'), {
          name: 'RedisUnreachable',
        });
      },
    });
    await shell.ready;
    expect(exitCode).toBe(1);
    expect(boxes).toHaveLength(1);
    expect(boxes[0][0]).toBe('Spectral Lab cannot reach its Redis');
    expect(boxes[0][1]).toMatch(/Cannot reach Redis.*without --redis and without SPECTRAL_LAB_REDIS/s);
  });

  it('locks to one instance, sandboxes, and opens one isolated window on app://lab', async () => {
    const { rec, windows } = await start();
    expect(rec.lockRequested).toBe(true);
    expect(rec.sandbox).toBe(true);
    expect(rec.schemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(windows).toHaveLength(1);
    expect(windows[0].loaded).toEqual(['app://lab/index.html']);
    expect(windows[0].options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: '/x/preload/index.cjs',
      devTools: false,
    });
  });

  it('registers one IPC channel per method and refuses frames that are not the workbench', async () => {
    const { ipc } = await start();
    expect([...ipc.keys()].sort()).toEqual(LAB_METHOD_NAMES.map(ipcChannel).sort());
    const getInfo = ipc.get(ipcChannel('getInfo'))!;
    const trusted = { senderFrame: { url: 'app://lab/index.html#/runs' } } as IpcMainEventLike;
    expect(await getInfo(trusted)).toMatchObject({ ok: true, result: { shell: 'electron' } });
    expect(await getInfo({ senderFrame: { url: 'https://evil.example/' } } as IpcMainEventLike)).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(await getInfo({ senderFrame: null } as IpcMainEventLike)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await ipc.get(ipcChannel('getRun'))!(trusted, 7)).toMatchObject({ ok: false, code: 'bad-request' });
  });

  it('denies permissions, sets the CSP on app responses and serves only renderer files', async () => {
    const { rec } = await start();
    let granted: boolean | null = null;
    rec.permissionRequest!(null, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    let headers: Record<string, string[] | string> | undefined;
    rec.headers!({ url: 'app://lab/index.html', responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(String(headers?.['Content-Security-Policy'])).toContain("script-src 'self'");
    const index = await rec.protocolHandler!({ url: 'app://lab/index.html', method: 'GET' });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("object-src 'none'");
    expect(await index.text()).toContain('<title>lab</title>');
    expect((await rec.protocolHandler!({ url: 'app://lab/assets/nope.js', method: 'GET' })).status).toBe(404);
    expect((await rec.protocolHandler!({ url: 'app://other/index.html', method: 'GET' })).status).toBe(404);
  });

  it('has the menu shortcuts and pushes menu commands and lab events to the window', async () => {
    const { rec, sent, lab } = await start();
    const items = rec.menu.flatMap((m) => m.submenu ?? []);
    const newExp = items.find((i) => i.accelerator === 'CmdOrCtrl+N');
    expect(newExp?.label).toMatch(/New experiment/);
    expect(items.find((i) => i.accelerator === 'CmdOrCtrl+R')?.label).toBe('Runs');
    expect(items.some((i) => i.role === 'reload')).toBe(false); // Ctrl+R is Runs; reload only in dev
    newExp!.click!();
    await lab.startRun({});
    const events = sent.filter(([ch]) => ch === IPC_EVENT_CHANNEL).map(([, e]) => (e as LabEvent).kind);
    expect(events[0]).toBe('menu');
    expect(events).toContain('run-status');
  });

  it('closes the lab before quitting', async () => {
    const { appHandlers, lab } = await start();
    let prevented = false;
    let closed = false;
    const original = lab.close.bind(lab);
    lab.close = async () => {
      closed = true;
      await original(10);
    };
    (appHandlers.get('before-quit') as (e: { preventDefault(): void }) => void)({
      preventDefault: () => (prevented = true),
    });
    expect(prevented).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
  });
});
