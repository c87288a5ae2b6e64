/**
 * The application menu: the usual Edit/View/Window items (their shortcuts come with the roles) and the
 * lab's own commands, sent to the UI as 'menu' LabEvents. Ctrl/Cmd+R opens the Runs view, so reload
 * moves to Ctrl/Cmd+Shift+R and exists only in development.
 */
import type { MenuCommand } from '../../shared/api.js';
import type { MenuItemTemplate } from './electron-like.js';

export interface MenuOptions {
  platform: NodeJS.Platform;
  dev: boolean;
  send: (command: MenuCommand) => void;
}

export function applicationMenu(o: MenuOptions): MenuItemTemplate[] {
  const mac = o.platform === 'darwin';
  const cmd = (label: string, accelerator: string, command: MenuCommand): MenuItemTemplate => ({
    label,
    accelerator,
    click: () => o.send(command),
  });
  const view: MenuItemTemplate[] = [
    cmd('Runs', 'CmdOrCtrl+R', 'open-runs'),
    cmd('Compare', 'CmdOrCtrl+K', 'open-compare'),
    cmd('Layer bounds', 'CmdOrCtrl+B', 'open-bounds'),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  if (o.dev)
    view.push({ type: 'separator' }, { role: 'reload', accelerator: 'CmdOrCtrl+Shift+R' }, { role: 'toggleDevTools' });
  return [
    ...(mac ? [{ role: 'appMenu' } as MenuItemTemplate] : []),
    {
      label: 'File',
      submenu: [
        cmd('New experiment…', 'CmdOrCtrl+N', 'new-experiment'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [cmd('About Spectral Lab', 'F1', 'open-about')],
    },
  ];
}
