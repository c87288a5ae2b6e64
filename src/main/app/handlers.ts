/**
 * One dispatch table from LAB_METHODS to a LabApi implementation: arguments validated, results and
 * errors turned into wire replies. IPC (one channel per method) and HTTP (one route per method) both
 * mount this table, so both transports behave identically.
 */
import {
  errorBody,
  ipcChannel,
  httpRoute,
  LAB_METHOD_NAMES,
  type LabApi,
  type LabMethod,
  type LabReply,
} from '../../shared/api.js';
import { parseArgs } from './args.js';

export interface MethodHandler {
  method: LabMethod;
  channel: string;
  route: string;
  /** Never rejects: failures come back as {ok: false, error, hint, code}. */
  handle(args: unknown): Promise<LabReply>;
}

export function buildHandlerTable(
  service: Omit<LabApi, 'subscribe'>,
  onInternalError: (method: LabMethod, err: unknown) => void = defaultLog,
): Map<LabMethod, MethodHandler> {
  const table = new Map<LabMethod, MethodHandler>();
  for (const method of LAB_METHOD_NAMES) {
    const fn = service[method] as (...a: unknown[]) => Promise<unknown>;
    table.set(method, {
      method,
      channel: ipcChannel(method),
      route: httpRoute(method),
      async handle(args: unknown): Promise<LabReply> {
        try {
          const parsed = parseArgs(method, args) as unknown[];
          const result = await fn.apply(service, parsed);
          return { ok: true, result: result === undefined ? null : result };
        } catch (err) {
          const body = errorBody(err);
          if (body.code === 'internal') onInternalError(method, err);
          return { ok: false, ...body };
        }
      },
    });
  }
  return table;
}

function defaultLog(method: LabMethod, err: unknown): void {
  console.error(`[lab] ${method} failed:`, err);
}
