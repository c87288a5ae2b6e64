/**
 * The lab, as the views see it: `lab` implements the LabApi of src/shared/api.ts over whichever
 * transport this window has (see ./transport). Views import only this module, never a transport.
 *
 *   import { lab } from '@/lab'   // or a relative path
 *   const runs = await lab.listRuns({ status: ['running'] });
 *   const off = lab.subscribe((e) => { if (e.kind === 'metrics') … });
 *
 * Failed calls reject with a LabError (src/shared/api.ts): `message` = what is wrong, `hint` = what to do.
 */
import { pickTransport, type TransportKind } from './transport';
import type { LabApi } from '../../shared/api';

const picked = pickTransport();

export const lab: LabApi = picked.lab;
export const transportKind: TransportKind = picked.kind;
export { LabError } from '../../shared/api';
export type * from '../../shared/api';
