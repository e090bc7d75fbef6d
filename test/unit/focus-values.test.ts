import { parseTags, providerOf, readDecimal, readTimestamp } from '../../src/import/focus-values';
import { splitByUtcDay, dayToIso } from '../../src/import/day-split';
import { stableId } from '../../src/import/stable-id';
import { resolveColumns } from '../../src/import/focus-columns';

const num = (text: string) => readDecimal(Buffer.from(text), 0, text.length);
const ts = (text: string) => readTimestamp(Buffer.from(text), 0, text.length);

describe('FOCUS value readers', () => {
  it('reads decimals to the same double as Number()', () => {
    for (const text of [
      '0.00000080000',
      '0.00001605990',
      '-0.01288992000',
      '1.58088000000',
      '0.37096774194',
      '12345678.123456789',
      '0.1',
      '3',
      '-0',
      '.5',
      '7.',
      '1.5e-7',
      '2E3',
      '123456789012345678901234567890',
      '0.000000000000000000000000123',
    ]) {
      expect(Object.is(num(text), Number(text))).toBe(true);
    }
    for (const bad of ['abc', '', '-', '.', '1.2.3', '0x10', '1,5', 'Infinity', ' 1']) {
      expect(num(bad)).toBeNaN();
    }
  });

  it('reads both FOCUS timestamp shapes as UTC and refuses impossible ones', () => {
    const at = Date.UTC(2024, 8, 1, 12, 0, 0);
    expect(ts('2024-09-01 12:00:00')).toBe(at);
    expect(ts('2024-09-01T12:00:00Z')).toBe(at);
    expect(ts('2024-09-01T12:00:00')).toBe(at);
    expect(ts('2024-09-01T12:00:00.250Z')).toBe(at + 250);
    expect(ts('2024-09-01T14:00:00+02:00')).toBe(at);
    expect(ts('2024-09-01T12:00Z')).toBe(at);
    expect(ts('2024-09-01')).toBe(Date.UTC(2024, 8, 1));
    expect(ts('2024-02-29 00:00:00')).toBe(Date.UTC(2024, 1, 29));
    for (const bad of [
      '2023-02-29 00:00:00',
      '2024-13-01 00:00:00',
      '2024-09-01 24:00:00',
      '09/01/2024',
      'NULL',
      '2024-09-01X12:00:00',
    ]) {
      expect(ts(bad)).toBeNaN();
    }
  });

  it('maps provider names to account types', () => {
    expect(providerOf('AWS')).toEqual({ type: 'AWS', key: 'AWS' });
    expect(providerOf('Microsoft')).toEqual({ type: 'AZURE', key: 'AZURE' });
    expect(providerOf('Azure').type).toBe('AZURE');
    expect(providerOf('Google Cloud')).toEqual({ type: 'GCP', key: 'GCP' });
    expect(providerOf('Oracle')).toEqual({ type: 'OTHER', key: 'other:oracle' });
  });

  it('parses Tags as string pairs and refuses what is not a JSON object', () => {
    expect(parseTags('{"env": "dev", "n": 1, "ok": true, "nested": {"a": [1]}, "none": null}')).toEqual({
      env: 'dev',
      n: '1',
      ok: 'true',
      nested: '{"a":[1]}',
      none: '',
    });
    expect(() => parseTags('{"env": ')).toThrow(/not valid JSON/);
    expect(() => parseTags('[1, 2]')).toThrow('not a JSON object');
  });

  it('splits a charge period by the hours in each UTC day: $48 over 36 h is $16 + $32', () => {
    const pieces: Record<string, number> = {};
    splitByUtcDay(Date.UTC(2024, 8, 1, 12), Date.UTC(2024, 8, 3), 48, (day, cost) => {
      pieces[dayToIso(day)] = cost;
    });
    expect(pieces).toEqual({ '2024-09-01': 16, '2024-09-02': 32 });
    const one: number[] = [];
    splitByUtcDay(Date.UTC(2024, 8, 1, 22), Date.UTC(2024, 8, 1, 23), 5, (day, cost) => one.push(day, cost));
    expect(one).toEqual([Math.floor(Date.UTC(2024, 8, 1) / 86_400_000), 5]);
  });

  it('derives the same version-5 UUID from the same parts', () => {
    const id = stableId('account', 'org-1', 'AWS', '123');
    expect(id).toBe(stableId('account', 'org-1', 'AWS', '123'));
    expect(id).not.toBe(stableId('account', 'org-2', 'AWS', '123'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names the mandatory columns a header lacks; ignores extra ones', () => {
    expect(resolveColumns(['Id', 'BilledCost'])).toEqual({
      missing: [
        'EffectiveCost',
        'BillingCurrency',
        'BillingAccountId',
        'BillingPeriodStart',
        'ChargeCategory',
        'ChargePeriodStart',
        'ChargePeriodEnd',
        'ProviderName',
        'ServiceName',
      ],
    });
  });
});
