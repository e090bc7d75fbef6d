import { previousRange, validateRange } from '../../src/services/ranges';
import { DomainError } from '../../src/errors';

describe('day ranges', () => {
  it('takes the previous period of the same length, ending the day before', () => {
    expect(previousRange({ start: '2024-03-01', end: '2024-03-31' })).toEqual({
      start: '2024-01-30',
      end: '2024-02-29',
    });
    expect(previousRange({ start: '2024-01-01', end: '2024-01-01' })).toEqual({
      start: '2023-12-31',
      end: '2023-12-31',
    });
  });

  it('accepts 366 days and refuses 367, naming the argument', () => {
    expect(validateRange({ start: '2024-01-01', end: '2024-12-31' })).toBeTruthy();
    expect(() => validateRange({ start: '2024-01-01', end: '2025-01-01' })).toThrow('range: spans 367 days');
  });

  it.each([
    [{ start: '2024-02-30', end: '2024-03-01' }, 'range.start'],
    [{ start: '2024-03-01', end: '2024-3-2' }, 'range.end'],
    [{ start: '2024-03-02', end: '2024-03-01' }, 'range.end: must not be before start'],
  ])('refuses %j with BAD_USER_INPUT naming %s', (range, message) => {
    try {
      validateRange(range);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('BAD_USER_INPUT');
      expect((error as DomainError).message).toContain(message);
    }
  });
});
