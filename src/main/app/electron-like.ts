/**
 * The part of Electron's main-process API the shell uses, typed structurally. The electron package
 * (and its types) is an optional dependency that may be absent; with this the shell typechecks
 * without it, and tests drive the shell with a fake. Names and signatures follow Electron's.
 */
export interface WebContentsLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: { preventDefault(): void; url?: string }, url: string) => void,
  ): void;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  /** Prints the loaded page to PDF bytes (the Report button's PDF in the app). */
  printToPDF(options: {
    pageSize?: string;
    printBackground?: boolean;
    preferCSSPageSize?: boolean;
    displayHeaderFooter?: boolean;
    headerTemplate?: string;
    footerTemplate?: string;
  }): Promise<Uint8Array>;
}

export interface BrowserWindowLike {
  webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'closed', listener: () => void): void;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  destroy(): void;
}

export interface MenuItemTemplate {
  label?: string;
  role?: string;
  type?: 'separator' | 'normal' | 'submenu';
  accelerator?: string;
  click?: () => void;
  submenu?: MenuItemTemplate[];
}

export interface ProtocolRequestLike {
  url: string;
  method: string;
}

export interface IpcMainEventLike {
  senderFrame: { url: string } | null;
  sender: WebContentsLike;
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string) => boolean): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { url: string; responseHeaders?: Record<string, string[] | string> },
        callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void,
      ) => void,
    ): void;
  };
}

export interface ElectronLike {
  app: {
    requestSingleInstanceLock(): boolean;
    quit(): void;
    exit(code?: number): void;
    whenReady(): Promise<void>;
    getPath(name: 'userData'): string;
    setPath(name: 'userData', path: string): void;
    getVersion(): string;
    isPackaged: boolean;
    enableSandbox(): void;
    on(event: 'second-instance' | 'window-all-closed' | 'activate', listener: () => void): void;
    on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): void;
    on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): void;
  };
  BrowserWindow: {
    new (options: object): BrowserWindowLike;
    getAllWindows(): BrowserWindowLike[];
  };
  ipcMain: {
    handle(channel: string, listener: (event: IpcMainEventLike, ...args: unknown[]) => Promise<unknown>): void;
  };
  Menu: {
    buildFromTemplate(template: MenuItemTemplate[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: ProtocolRequestLike) => Response | Promise<Response>): void;
  };
  session: { defaultSession: SessionLike };
  shell: { openExternal(url: string): Promise<void> };
  dialog: { showErrorBox(title: string, content: string): void };
}
