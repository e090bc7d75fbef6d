import { sumDecimals, toUnits, unitsToNumber } from '../../src/domain/money';

describe('money', () => {
  it('adds decimal texts exactly where floats would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumDecimals(['0.1', '0.2'])).toBe(0.3);
    expect(sumDecimals(['1234567.1234567891', '-0.0000000001'])).toBe(1234567.123456789);
  });

  it('parses negatives, integers and long fractions', () => {
    expect(toUnits('-12.5')).toBe(-125_000_000_000n);
    expect(toUnits('7')).toBe(70_000_000_000n);
    expect(toUnits('0.123456789012')).toBe(1_234_567_890n);
    expect(unitsToNumber(-125_000_000_000n)).toBe(-12.5);
  });

  it('refuses text that is not a decimal amount', () => {
    expect(() => toUnits('1e5')).toThrow(/not a decimal amount/);
    expect(() => toUnits('')).toThrow(/not a decimal amount/);
  });
});
