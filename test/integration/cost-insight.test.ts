import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import { eachDay } from '../../src/domain/days';

// costForecast and costAnomalies over hand-made series. "Today" is Friday 2026-03-20 (UTC).
//
// api     (AmazonEC2): $100 on weekdays, $40 on Saturdays and Sundays, since 2025-12-01.
// warehouse (AmazonRDS): $200 every day, but $800 on Thursday 2026-03-12.
// tiny    (AmazonS3):   $1 every day, but $5 on 2026-03-16 (a $4 departure: under the $10 minimum).
// Another organization has a $5,000 spike on 2026-03-12 that must never show here.

const DAYS = eachDay('2025-12-01', '2026-03-20');
const weekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());

describe('costForecast and costAnomalies', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let org: string;
  let other: string;

  beforeAll(async () => {
    core = await createTestCore({}, { now: () => new Date('2026-03-20T12:00:00Z') });
    run = await createGraphQL(core);
    const fixtures = new Fixtures(core);
    org = await fixtures.organization('Insight Co');
    other = await fixtures.organization('Other Co');
    const aws = await fixtures.account(org, { name: 'aws', type: 'AWS' });
    const [api, warehouse, tiny] = await fixtures.resources(aws, [
      { name: 'api', service: 'AmazonEC2' },
      { name: 'warehouse', service: 'AmazonRDS' },
      { name: 'tiny', service: 'AmazonS3' },
    ]);
    await fixtures.costs(api!, Object.fromEntries(DAYS.map((d) => [d, weekend(d) ? 40 : 100])));
    await fixtures.costs(
      warehouse!,
      Object.fromEntries(DAYS.map((d) => [d, d === '2026-03-12' ? 800 : 200])),
    );
    await fixtures.costs(tiny!, Object.fromEntries(DAYS.map((d) => [d, d === '2026-03-16' ? 5 : 1])));
    const otherAws = await fixtures.account(other, { name: 'other', type: 'AWS' });
    const spike = await fixtures.resource(otherAws, { name: 'spiky', service: 'AmazonRDS' });
    await fixtures.costs(spike, Object.fromEntries(DAYS.map((d) => [d, d === '2026-03-12' ? 5000 : 10])));
  });

  afterAll(async () => {
    await core?.dispose();
  });

  it('forecasts the weekly pattern of the next week exactly (no noise: a zero-width interval)', async () => {
    const forecast = dataOf<{ costForecast: { date: string; cost: number; low: number; high: number }[] }>(
      await run(
        org,
        `{ costForecast(range: {start: "2026-03-21", end: "2026-03-27"}, filter: {services: ["AmazonEC2"]}) { date cost low high } }`,
      ),
    ).costForecast;
    // Saturday 21 and Sunday 22 at $40, then five weekdays at $100.
    expect(forecast.map((f) => f.date)).toEqual(eachDay('2026-03-21', '2026-03-27'));
    forecast.forEach((f, i) => {
      const expected = i < 2 ? 40 : 100;
      expect(f.cost).toBeCloseTo(expected, 6);
      expect(f.low).toBeCloseTo(expected, 4);
      expect(f.high).toBeCloseTo(expected, 4);
    });
  });

  it('finds the warehouse spike by service: expected $200, actual $800, impact $600; not the $4 one', async () => {
    const anomalies = dataOf<{
      costAnomalies: {
        date: string;
        key: string;
        name: string;
        expected: number;
        actual: number;
        impact: number;
        score: number;
      }[];
    }>(
      await run(
        org,
        `{ costAnomalies(range: {start: "2026-03-01", end: "2026-03-20"}, by: SERVICE) { date key name expected actual impact score } }`,
      ),
    ).costAnomalies;
    expect(anomalies).toEqual([
      {
        date: '2026-03-12',
        key: 'AmazonRDS',
        name: 'AmazonRDS',
        expected: 200,
        actual: 800,
        impact: 600,
        // MAD of eight $200 Thursdays is 0: the spread is the 1% floor, $2.
        score: 300,
      },
    ]);
    // With a lower minimum, the $4 departure of AmazonS3 shows too.
    const small = dataOf<{ costAnomalies: { date: string; key: string; impact: number }[] }>(
      await run(
        org,
        `{ costAnomalies(range: {start: "2026-03-01", end: "2026-03-20"}, by: SERVICE, minImpact: 1) { date key impact } }`,
      ),
    ).costAnomalies;
    expect(small).toEqual([
      { date: '2026-03-12', key: 'AmazonRDS', impact: 600 },
      { date: '2026-03-16', key: 'AmazonS3', impact: 4 },
    ]);
  });

  it('judges whole days only: today (not over, and the series drop to $0 in it) is never an anomaly', async () => {
    const today = dataOf<{ costAnomalies: unknown[] }>(
      await run(
        org,
        `{ costAnomalies(range: {start: "2026-03-20", end: "2026-03-25"}, by: SERVICE) { date } }`,
      ),
    ).costAnomalies;
    expect(today).toEqual([]);
  });

  it('by TAG needs its key; a bad range is refused', async () => {
    expect(
      errorOf(
        await run(
          org,
          `{ costAnomalies(range: {start: "2026-03-01", end: "2026-03-20"}, by: TAG) { date } }`,
        ),
      ),
    ).toMatchObject({ code: 'BAD_USER_INPUT', message: 'tagKey: is required when by is TAG' });
    expect(
      errorOf(await run(org, `{ costForecast(range: {start: "2026-03-21", end: "2026-03-01"}) { date } }`)),
    ).toMatchObject({ code: 'BAD_USER_INPUT', message: 'range.end: must not be before start (2026-03-21)' });
  });
});
