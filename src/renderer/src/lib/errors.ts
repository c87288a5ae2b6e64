/** Any failure, as the views show it: what is wrong and what to do next. */
import { LabError } from '../../../shared/api';

export interface UiError {
  message: string;
  hint: string;
  code: string;
}

export function toUiError(
  err: unknown,
  fallbackHint = 'Try again; if it keeps failing, check the terminal or log of the lab.',
): UiError {
  if (err instanceof LabError) return { message: err.message, hint: err.hint || fallbackHint, code: err.code };
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { message: unknown; hint?: unknown; code?: unknown };
    return {
      message: String(e.message),
      hint: typeof e.hint === 'string' && e.hint ? e.hint : fallbackHint,
      code: typeof e.code === 'string' ? e.code : 'internal',
    };
  }
  return { message: String(err), hint: fallbackHint, code: 'internal' };
}
