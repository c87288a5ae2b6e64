/**
 * Doubles travel to SQLite inside one JSON text per batch (json_each is several times faster than
 * binding thousands of parameters through sqlite3), but SQLite's decimal parser is not correctly
 * rounded: about 1 value in 10,000 comes back 1 ulp off. So a double x is sent as the integer pair
 * [m, e] with x = m * 2^e exactly (both exact in JSON), and SQL rebuilds it with `m * pow(2.0, e)`,
 * which is exact: the product of a double and a power of two that is itself a double.
 */

/** SQL expression rebuilding the double from the pair at JSON paths `$[i]`, `$[i+1]` of `value`. */
export function sqlDouble(i: number, source = 'value'): string {
  return `(${source}->>${i}) * pow(2.0, ${source}->>${i + 1})`;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

/**
 * [m, e] with x === m * 2 ** e, or [null, null] for NaN / ±Infinity (stored as SQL NULL). Read from
 * the IEEE-754 bits: m is the 53-bit significand (with its sign), e the unbiased exponent - 52.
 */
export function splitDouble(x: number): [number, number] | [null, null] {
  if (Number.isInteger(x) && x <= Number.MAX_SAFE_INTEGER && x >= -Number.MAX_SAFE_INTEGER) return [x === 0 ? 0 : x, 0];
  if (!Number.isFinite(x)) return [null, null];
  F64[0] = x;
  const hi = U32[HI];
  const biased = (hi >>> 20) & 0x7ff;
  let m = (hi & 0xfffff) * 4294967296 + U32[LO];
  let e: number;
  if (biased === 0) {
    e = -1074; // subnormal: no hidden bit
  } else {
    m += 4503599627370496; // hidden bit 2^52
    e = biased - 1075;
  }
  return [hi >>> 31 ? -m : m, e];
}
