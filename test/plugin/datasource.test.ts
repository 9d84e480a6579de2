/**
 * @jest-environment jsdom
 */
// The plugin's DataSource against a real sidecar: query(), metricFindQuery, getTagKeys / getTagValues,
// annotations and testDatasource. Only Grafana's services are replaced: BackendSrv forwards to the
// sidecar as Grafana's data proxy would (plugin.json's route adds the token), TemplateSrv holds the
// dashboard's variables.
import '../../plugin/jest.setup.js';

import { DataFrame, DataQueryRequest, dateTime, FieldType } from '@grafana/data';
import { setBackendSrv } from '@grafana/runtime';
import { Observable } from 'rxjs';

import { datasource, END_MS, MINUTE_MS, proxyBackendSrv, request, useVariables, values } from './grafanaServices';
import { fleetSeed, READ_TOKEN, RunningSidecar, SEED_POINTS, SEED_START_MS, SEED_STEP_MS, startSidecar } from './sidecar';

describe('the DataSource against a real sidecar', () => {
  let sidecar: RunningSidecar;

  beforeAll(async () => {
    sidecar = await startSidecar({ withTokens: true });
    await sidecar.write(fleetSeed());
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  beforeEach(() => {
    setBackendSrv(proxyBackendSrv(sidecar.url, READ_TOKEN));
    useVariables();
  });

  describe('query()', () => {
    it('returns one frame per series with time and number fields, labels and legend names', async () => {
      const response = await datasource().query(
        request([{ refId: 'A', metric: 'temperature', matchers: [{ name: 'site', op: '=', value: 'paris' }], minInterval: '10m', agg: 'avg', legend: '{{device}} {{site}}' }]),
      );
      expect(response.errors).toBeUndefined();
      const frames = response.data as DataFrame[];
      expect(frames.map((frame) => frame.fields[1].config.displayNameFromDS).sort()).toEqual(['d3 paris', 'd4 paris']);
      const d3 = frames.find((frame) => frame.fields[1].labels?.device === 'd3')!;
      expect(d3.fields[0].type).toBe(FieldType.time);
      expect(d3.fields[1].type).toBe(FieldType.number);
      expect(d3.fields[1].labels).toEqual({ device: 'd3', kind: 'indoor', site: 'paris' });
      // The sidecar knows the demo fleet's units; Grafana's unit for it is celsius.
      expect(d3.fields[1].config.unit).toBe('celsius');
      expect(values(d3, 'Time')).toEqual(Array.from({ length: 12 }, (_v, i) => SEED_START_MS + i * 10 * MINUTE_MS));
      // d3 reads 22.0, 22.1, ... 22.9 in every ten minutes.
      for (const value of values(d3, 'temperature')) {
        expect(value).toBeCloseTo(22.45, 6);
      }
      expect(d3.meta?.custom).toEqual({ stepMs: 10 * MINUTE_MS });
    });

    it.each([10, 2, 1])('never returns more points than maxDataPoints (%d)', async (maxDataPoints) => {
      // Half past the hour to half past two hours later: the range straddles every nice boundary.
      const startMs = SEED_START_MS + 30 * MINUTE_MS;
      const range = { from: dateTime(startMs), to: dateTime(END_MS - 30 * MINUTE_MS), raw: { from: dateTime(startMs), to: dateTime(END_MS - 30 * MINUTE_MS) } };
      const response = await datasource().query(request([{ refId: 'A', metric: 'temperature', fill: 'linear' }], { intervalMs: 1000, maxDataPoints, range }));
      expect(response.errors).toBeUndefined();
      const frames = response.data as DataFrame[];
      expect(frames).toHaveLength(4);
      for (const frame of frames) {
        expect(frame.length).toBeGreaterThan(0);
        expect(frame.length).toBeLessThanOrEqual(maxDataPoints);
      }
    });

    it('groups by a label, combining the series of each group', async () => {
      const response = await datasource().query(request([{ refId: 'A', metric: 'temperature', groupBy: ['site'], agg: 'avg', minInterval: '2h' }]));
      const frames = response.data as DataFrame[];
      const bySite = Object.fromEntries(frames.map((frame) => [frame.fields[1].labels?.site, values(frame, 'temperature')]));
      expect(Object.keys(bySite).sort()).toEqual(['berlin', 'paris']);
      expect(bySite.paris[0]).toBeCloseTo((22.45 + 23.45) / 2, 6);
      expect(bySite.berlin[0]).toBeCloseTo((20.45 + 21.45) / 2, 6);
    });

    it('turns multi-value variables into regex filters', async () => {
      useVariables([{ name: 'device', current: ['d1', 'd4'], multi: true, includeAll: true, options: ['d1', 'd2', 'd3', 'd4'] }]);
      const response = await datasource().query(request([{ refId: 'A', metric: 'humidity', matchers: [{ name: 'device', op: '=', value: '$device' }] }]));
      expect((response.data as DataFrame[]).map((frame) => frame.fields[1].labels?.device).sort()).toEqual(['d1', 'd4']);
    });

    it('refuses a metric variable with several values in that query, and runs the others', async () => {
      useVariables([{ name: 'metric', current: ['humidity', 'pressure'], multi: true, includeAll: true, options: ['humidity', 'pressure'] }]);
      const response = await datasource().query(
        request([
          { refId: 'A', metric: '$metric' },
          { refId: 'B', metric: 'humidity', matchers: [{ name: 'device', op: '=', value: 'd1' }] },
        ]),
      );
      expect((response.data as DataFrame[]).map((frame) => frame.refId)).toEqual(['B']);
      expect(response.errors).toEqual([
        {
          refId: 'A',
          message: 'Query A: the metric $metric stands for 2 metrics (humidity, pressure), and a query reads one metric; select one value, or repeat the panel by the variable',
        },
      ]);
    });

    it('applies ad hoc filters to every query and skips hidden ones', async () => {
      const response = await datasource().query(
        request(
          [
            { refId: 'A', metric: 'humidity' },
            { refId: 'B', metric: 'battery', hide: true },
          ],
          { filters: [{ key: 'kind', operator: '=', value: 'outdoor' }] },
        ),
      );
      expect((response.data as DataFrame[]).map((frame) => `${frame.refId} ${frame.fields[1].labels?.device}`).sort()).toEqual(['A d2', 'A d4']);
    });

    it('lists raw samples', async () => {
      const response = await datasource().query(request([{ refId: 'A', metric: 'battery', mode: 'raw', matchers: [{ name: 'device', op: '=', value: 'd2' }] }]));
      const [frame] = response.data as DataFrame[];
      expect(frame.length).toBe(SEED_POINTS);
      expect(values(frame, 'battery').slice(0, 3)).toEqual([90, 89, 88]);
    });

    it('gives the latest reading of every device as one table', async () => {
      const response = await datasource().query(request([{ refId: 'A', metric: 'battery', mode: 'latest' }]));
      const [frame] = response.data as DataFrame[];
      expect(values(frame, 'device')).toEqual(expect.arrayContaining(['d1', 'd2', 'd3', 'd4']));
      const d2 = values(frame, 'device').indexOf('d2');
      expect(values(frame, 'Value')[d2]).toBe(5);
      expect(values(frame, 'Time')[d2]).toBe(END_MS - SEED_STEP_MS);
    });

    it("aligns day buckets to the dashboard's time zone", async () => {
      const day = (timezone: string) =>
        datasource()
          .query(request([{ refId: 'A', metric: 'humidity', matchers: [{ name: 'device', op: '=', value: 'd1' }], minInterval: '1d' }], { timezone }))
          .then((response) => values((response.data as DataFrame[])[0], 'Time'));
      expect(await day('utc')).toEqual([Date.UTC(2026, 0, 15)]);
      // Midnight in Berlin is 23:00 UTC the day before, in winter.
      expect(await day('Europe/Berlin')).toEqual([Date.UTC(2026, 0, 14, 23)]);
    });

    it("shows each failing query's error with the sidecar's message, next to the queries that worked", async () => {
      const response = await datasource().query(
        request([
          { refId: 'A', metric: 'humidity', matchers: [{ name: 'device', op: '=', value: 'd1' }] },
          { refId: 'B', metric: 'humidity', matchers: [{ name: 'device', op: '=~', value: '(' }] },
        ]),
      );
      expect((response.data as DataFrame[]).map((frame) => frame.refId)).toEqual(['A']);
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({ refId: 'B', status: 400 });
      expect(response.errors![0].message).toMatch(/^INVALID_QUERY: /);
    });

    const batteryBelow20 = (display: 'regions' | 'points') =>
      request([{ refId: 'Anno', metric: 'battery', minInterval: '1m', agg: 'min', legend: '{{device}}', annotation: { condition: 'below', threshold: 20, display } }]);

    it('marks where the battery was below a threshold, as a region', async () => {
      const [frame] = (await datasource().query(batteryBelow20('regions'))).data as DataFrame[];
      // Only d2 runs down: 90 - i drops below 20 at minute 71 and stays there.
      expect(values(frame, 'time')).toEqual([SEED_START_MS + 71 * MINUTE_MS]);
      expect(values(frame, 'timeEnd')).toEqual([END_MS - SEED_STEP_MS]);
      expect(values(frame, 'title')).toEqual(['d2 below 20']);
      expect(values(frame, 'text')).toEqual(['battery lowest 5']);
      expect((values(frame, 'tags') as string[][]).map((tags) => [...tags].sort())).toEqual([['device:d2', 'kind:outdoor', 'site:berlin']]);
    });

    it('marks where the battery dropped below a threshold, as a point', async () => {
      const [frame] = (await datasource().query(batteryBelow20('points'))).data as DataFrame[];
      expect(frame.fields.map((field) => field.name)).toEqual(['time', 'title', 'text', 'tags']);
      expect(values(frame, 'time')).toEqual([SEED_START_MS + 71 * MINUTE_MS]);
    });

    it("narrows annotations by the dashboard's ad hoc filters, though Grafana sends them without", async () => {
      const annotationsWhere = async (kind: string) => {
        useVariables([], [{ name: 'Filters', datasourceUid: 'sensorstore', filters: [{ key: 'kind', operator: '=', value: kind }] }]);
        const [frame] = (await datasource().query(batteryBelow20('regions'))).data as DataFrame[];
        return values(frame, 'title');
      };
      expect(await annotationsWhere('indoor')).toEqual([]);
      expect(await annotationsWhere('outdoor')).toEqual(['d2 below 20']);
    });

    it('takes $__range as a minimum interval: one bucket for the whole range', async () => {
      const response = await datasource().query(request([{ refId: 'A', metric: 'humidity', agg: 'count', minInterval: '$__range' }]));
      const frames = response.data as DataFrame[];
      expect(frames).toHaveLength(4);
      for (const frame of frames) {
        expect(values(frame, 'Time')).toEqual([SEED_START_MS]);
        expect(values(frame, 'humidity')).toEqual([SEED_POINTS]);
        expect(frame.meta?.custom).toEqual({ stepMs: SEED_POINTS * SEED_STEP_MS });
      }
    });
  });

  describe('template variables', () => {
    const range = { from: dateTime(SEED_START_MS), to: dateTime(END_MS), raw: { from: dateTime(SEED_START_MS), to: dateTime(END_MS) } };
    const texts = async (query: string, r = range) => (await datasource().metricFindQuery(query, { range: r })).map((value) => value.text);

    it('lists metric names, label names and label values', async () => {
      expect(await texts('metrics()')).toEqual(['battery', 'humidity', 'pressure', 'temperature']);
      expect(await texts('label_names(temperature)')).toEqual(['device', 'kind', 'site']);
      expect(await texts('label_values(site)')).toEqual(['berlin', 'paris']);
    });

    it('narrows label values by other variables', async () => {
      useVariables([{ name: 'site', current: 'paris' }]);
      expect(await texts('label_values(temperature{site="$site"}, device)')).toEqual(['d3', 'd4']);
      useVariables([{ name: 'site', current: '$__all', includeAll: true, options: ['berlin', 'paris'] }]);
      expect(await texts('label_values(temperature{site="$site"}, device)')).toEqual(['d1', 'd2', 'd3', 'd4']);
    });

    it('lists label values across the metrics a multi-value metric variable selects', async () => {
      const devicesOf = async (metrics: string[], query = 'label_values($metric{kind="outdoor"}, device)') => {
        useVariables([{ name: 'metric', current: metrics, multi: true }]);
        return texts(query);
      };
      // Matched by a regex on the name: one known metric is enough, and unknown ones find nothing.
      expect(await devicesOf(['humidity', 'no_such_metric'])).toEqual(['d2', 'd4']);
      expect(await devicesOf(['no_such_metric', 'nor_this_one'])).toEqual([]);
      expect(await devicesOf(['humidity', 'pressure'], 'label_names($metric)')).toEqual(['device', 'kind', 'site']);
    });

    it("narrows variable queries by the dashboard's ad hoc filters", async () => {
      useVariables([], [{ name: 'Filters', datasourceUid: 'sensorstore', filters: [{ key: 'kind', operator: '=', value: 'outdoor' }] }]);
      expect(await texts('label_values(temperature, device)')).toEqual(['d2', 'd4']);
    });

    it('narrows label values by the time range', async () => {
      const later = { from: dateTime(END_MS + 86_400_000), to: dateTime(END_MS + 2 * 86_400_000), raw: { from: dateTime(END_MS + 86_400_000), to: dateTime(END_MS + 2 * 86_400_000) } };
      expect(await texts('label_values(site)', later)).toEqual([]);
    });

    it('runs the variable editor query through the variable support', async () => {
      const ds = datasource();
      const support = ds.variables as unknown as { query(r: DataQueryRequest): Observable<{ data: Array<{ text: string }> }> };
      const answer = await new Promise<{ data: Array<{ text: string }> }>((resolve, reject) =>
        support
          .query({ ...request([]), targets: [{ refId: 'v', kind: 'labelValues', label: 'device', matchers: [{ name: 'kind', op: '=', value: 'indoor' }] }] } as unknown as DataQueryRequest)
          .subscribe({ next: resolve, error: reject }),
      );
      expect(answer.data.map((value) => value.text)).toEqual(['d1', 'd3']);
    });
  });

  describe('ad hoc filters', () => {
    it('offers label names and values narrowed by the other filters', async () => {
      const ds = datasource();
      expect((await ds.getTagKeys({ filters: [] })).map((value) => value.text)).toEqual(['device', 'kind', 'site']);
      const devices = await ds.getTagValues({ key: 'device', filters: [{ key: 'site', operator: '=', value: 'berlin' }] });
      expect(devices.map((value) => value.text)).toEqual(['d1', 'd2']);
    });
  });

  describe('testDatasource()', () => {
    it('reports the series count', async () => {
      const result = await datasource().testDatasource();
      expect(result.status).toBe('success');
      expect(result.message).toMatch(/^Connected to Sensorstore \S+ at http:\/\/sidecar:8428: 16 series$/);
    });

    it('says the token was refused', async () => {
      setBackendSrv(proxyBackendSrv(sidecar.url, 'wrong-token'));
      const result = await datasource().testDatasource();
      expect(result.status).toBe('error');
      expect(result.message).toMatch(/^The sidecar refused the token \(UNAUTHORIZED: /);
    });

    it('says the sidecar can not be reached', async () => {
      setBackendSrv(proxyBackendSrv('http://127.0.0.1:1', READ_TOKEN));
      const result = await datasource().testDatasource();
      expect(result).toEqual({
        status: 'error',
        message: 'Could not reach the sidecar (/api/native/status: 502 Bad Gateway); check the URL and that the sidecar is running',
      });
    });
  });
});

describe('"Save & test" while a real sidecar recovers its data', () => {
  let held: RunningSidecar | undefined;

  afterAll(async () => {
    await held?.stop();
  });

  it('says the sidecar is not ready yet, then connects once recovery is done', async () => {
    const first = await startSidecar({ withTokens: true });
    try {
      await first.write(fleetSeed());
    } finally {
      // Killed, not stopped: the next start has to replay the WAL, and is held while it does.
      await first.crash();
    }
    held = await startSidecar({ withTokens: true, dataDir: first.dataDir, holdRecovery: true });
    setBackendSrv(proxyBackendSrv(held.url, READ_TOKEN));
    useVariables();
    expect(await datasource().testDatasource()).toEqual({
      status: 'error',
      message: 'The sidecar is not ready yet (NOT_READY: the sidecar is still recovering its data; retry shortly)',
    });
    await held.releaseRecovery();
    expect(await datasource().testDatasource()).toEqual({ status: 'success', message: expect.stringMatching(/^Connected to Sensorstore \S+ at http:\/\/sidecar:8428: 16 series$/) });
  });
});
