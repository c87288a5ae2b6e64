import { describe, expect, test } from 'vitest';
import { FMT, formatEps, formatNumber, isoTime } from '../../src/main/report/index.js';

describe('formatNumber', () => {
  test('bounds: three decimals, scientific for large and tiny values', () => {
    expect(formatNumber(1.5, FMT.bound, 'text')).toBe('1.500');
    expect(formatNumber(0.9, FMT.bound, 'text')).toBe('0.900');
    expect(formatNumber(9999.4, FMT.bound, 'text')).toBe('9999.400');
    expect(formatNumber(12345.6, FMT.bound, 'text')).toBe('1.235e4');
    expect(formatNumber(0.004567, FMT.bound, 'text')).toBe('4.567e-3');
    expect(formatNumber(0, FMT.bound, 'text')).toBe('0.000');
  });

  test('the same digits in every target, typography per target', () => {
    expect(formatNumber(12345.6, FMT.bound, 'latex')).toBe('$1.235\\times 10^{4}$');
    expect(formatNumber(12345.6, FMT.bound, 'html')).toBe('1.235&times;10<sup>4</sup>');
    expect(formatNumber(12345.6, FMT.bound, 'markdown')).toBe('1.235e4');
    expect(formatNumber(-2.5, FMT.ratio, 'latex')).toBe('$-2.500$');
    expect(formatNumber(-2.5, FMT.ratio, 'html')).toBe('&minus;2.500');
    expect(formatNumber(2.5, FMT.ratio, 'latex')).toBe('2.500');
  });

  test('accuracies as percentages with one decimal', () => {
    expect(formatNumber(0.9125, FMT.accuracy, 'text')).toBe('91.3');
    expect(formatNumber(1, FMT.accuracy, 'text')).toBe('100.0');
    expect(formatNumber(0, FMT.accuracy, 'text')).toBe('0.0');
  });

  test('hyper-parameters in their shortest form', () => {
    expect(formatNumber(0.01, FMT.beta, 'text')).toBe('0.01');
    expect(formatNumber(0.1234567, FMT.beta, 'text')).toBe('0.123');
    expect(formatNumber(1e-4, FMT.beta, 'text')).toBe('1e-4');
    expect(formatNumber(2.5e-5, FMT.beta, 'latex')).toBe('$2.5\\times 10^{-5}$');
  });

  test('significant digits', () => {
    expect(formatNumber(123.456, { kind: 'sig', digits: 4 }, 'text')).toBe('123.5');
    expect(formatNumber(123456, { kind: 'sig', digits: 3 }, 'text')).toBe('1.23e5');
  });

  test('no negative zero; missing values print as the dash of the target', () => {
    expect(formatNumber(-0.00001, FMT.ratio, 'text')).toBe('0.000');
    expect(formatNumber(null, FMT.ratio, 'markdown')).toBe('—');
    expect(formatNumber(Number.NaN, FMT.ratio, 'latex')).toBe('---');
    expect(formatNumber(undefined, FMT.ratio, 'html')).toBe('&mdash;');
    expect(formatNumber(Infinity, FMT.bound, 'latex')).toBe('$\\infty$');
  });
});

describe('formatEps', () => {
  test('k/255 radii as papers write them, others plainly', () => {
    expect(formatEps(36 / 255)).toBe('36/255');
    expect(formatEps(108 / 255)).toBe('108/255');
    expect(formatEps(1.58)).toBe('1.58');
    expect(formatEps(0.1)).toBe('0.1');
  });
});

test('isoTime', () => {
  expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  expect(isoTime(Number.NaN)).toBe('');
  expect(isoTime(null)).toBe('');
});
