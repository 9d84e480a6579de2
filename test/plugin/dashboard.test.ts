/**
 * @jest-environment jsdom
 */
// The provisioned "Fleet overview" dashboard, run as Grafana runs it against a real sidecar: its
// variables list sites and devices, and every panel's queries plus transformations give the charts
// and tables it promises (temperature per site, humidity and pressure per device, low battery, latest).
import '../../plugin/jest.setup.js';

import {
  DataFrame,
  DataTransformerConfig,
  getFieldDisplayName,
  standardTransformers,
  standardTransformersRegistry,
  transformDataFrame,
  TransformerRegistryItem,
} from '@grafana/data';
import { setBackendSrv } from '@grafana/runtime';
import { readFileSync } from 'fs';
import { join } from 'path';
import { lastValueFrom } from 'rxjs';

import { SensorstoreQuery, SensorstoreVariableQuery } from '../../plugin/src/types';
import { TestVariable } from '../../plugin/src/testing/templateSrv';
import { datasource, END_MS, proxyBackendSrv, request, useVariables, values } from './grafanaServices';
import { fleetSeed, READ_TOKEN, RunningSidecar, SEED_START_MS, startSidecar } from './sidecar';

const repoRoot = join(__dirname, '..', '..');
const dashboard = JSON.parse(readFileSync(join(repoRoot, 'provisioning', 'dashboards', 'fleet-overview.json'), 'utf8'));
const datasourcesYaml = readFileSync(join(repoRoot, 'provisioning', 'datasources', 'sensorstore.yaml'), 'utf8');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  targets: SensorstoreQuery[];
  transformations?: DataTransformerConfig[];
}

const panels = dashboard.panels as Panel[];
const panel = (title: string) => panels.find((candidate) => candidate.title === title)!;

// Grafana registers its standard transformations at start-up; panels look them up by id. Some are
// exported under two names (and aliases), so each id is registered once.
standardTransformersRegistry.setInit(() => {
  const seen = new Set<string>();
  return Object.values(standardTransformers).flatMap((transformer) => {
    if (seen.has(transformer.id)) {
      return [];
    }
    const aliasIds = (transformer.aliasIds ?? []).filter((alias) => !seen.has(alias));
    [transformer.id, ...aliasIds].forEach((key) => seen.add(key));
    return [{ id: transformer.id, aliasIds, name: transformer.name, description: transformer.description, transformation: transformer, editor: () => null } as unknown as TransformerRegistryItem];
  });
});

/** The dashboard's variables with the selections given (default: All, which the dashboard uses). */
function variables(selection: Record<string, string | string[]> = {}): TestVariable[] {
  return dashboard.templating.list.map((variable: { name: string; multi: boolean; includeAll: boolean; allValue: string }) => ({
    name: variable.name,
    multi: variable.multi,
    includeAll: variable.includeAll,
    allValue: variable.allValue,
    current: selection[variable.name] ?? '$__all',
  }));
}

/** A table's columns as the panel shows them: by display name (organize renames through config). */
function columns(frame: DataFrame): Record<string, unknown[]> {
  return Object.fromEntries(frame.fields.map((field) => [getFieldDisplayName(field, frame), field.values]));
}

async function runPanel(title: string, selection: Record<string, string | string[]> = {}): Promise<DataFrame[]> {
  useVariables(variables(selection));
  const { targets, transformations } = panel(title);
  const response = await datasource().query(request(targets));
  expect(response.errors).toBeUndefined();
  return lastValueFrom(transformDataFrame(transformations ?? [], response.data as DataFrame[]));
}

describe('the provisioned Fleet overview dashboard', () => {
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
  });

  it('uses the provisioned Sensorstore datasource and the demo fleet metrics', () => {
    expect(dashboard.title).toBe('Fleet overview');
    expect(datasourcesYaml).toMatch(/uid: sensorstore\n\s+type: sensorstore-datasource/);
    const metrics = new Set<string>();
    for (const { datasource: ref, targets } of panels) {
      expect(ref).toEqual({ type: 'sensorstore-datasource', uid: 'sensorstore' });
      targets.forEach((target) => metrics.add(target.metric!));
    }
    expect([...metrics].sort()).toEqual(['battery', 'humidity', 'pressure', 'temperature']);
    expect(dashboard.templating.list.map((variable: { name: string }) => variable.name)).toEqual(['site', 'device']);
  });

  it("lists sites, and the selected sites' devices, in the variables", async () => {
    const [site, device] = dashboard.templating.list as Array<{ query: SensorstoreVariableQuery }>;
    const range = request([]).range;
    useVariables(variables());
    expect(await datasource().findValues(site.query, range, {})).toEqual(['berlin', 'paris']);
    expect(await datasource().findValues(device.query, range, {})).toEqual(['d1', 'd2', 'd3', 'd4']);
    useVariables(variables({ site: ['paris'] }));
    expect(await datasource().findValues(device.query, range, {})).toEqual(['d3', 'd4']);
  });

  it('charts temperature per site', async () => {
    const frames = await runPanel('Temperature per site');
    expect(frames.map((frame) => frame.fields[1].config.displayNameFromDS).sort()).toEqual(['berlin', 'paris']);
  });

  it('charts humidity and pressure per selected device', async () => {
    const humidity = await runPanel('Humidity per device', { site: ['berlin'], device: ['d2'] });
    expect(humidity.map((frame) => frame.fields[1].config.displayNameFromDS)).toEqual(['d2 (berlin)']);
    const pressure = await runPanel('Pressure per device');
    expect(pressure.map((frame) => frame.fields[1].config.displayNameFromDS).sort()).toEqual(['d1 (berlin)', 'd2 (berlin)', 'd3 (paris)', 'd4 (paris)']);
  });

  it('tables the devices with low battery', async () => {
    const [table] = await runPanel('Devices with low battery');
    const shown = columns(table);
    expect(Object.keys(shown)).toEqual(['Device', 'Site', 'Kind', 'Battery', 'Reported']);
    expect(shown.Device).toEqual(['d2']);
    expect(shown.Battery).toEqual([5]);
  });

  it('tables the latest reading of every device', async () => {
    const [table] = await runPanel('Latest reading of every device');
    const shown = columns(table);
    expect(Object.keys(shown)).toEqual(['Device', 'Temperature', 'Humidity', 'Pressure', 'Battery']);
    expect(shown.Device).toEqual(['d1', 'd2', 'd3', 'd4']);
    // The last sample (minute 119) of each device: temperature 20 + d + 0.9, battery 90 - d except d2.
    expect(shown.Temperature).toEqual([20.9, 21.9, 22.9, 23.9]);
    expect(shown.Battery).toEqual([90, 5, 88, 87]);
  });

  it('marks low battery stretches with its annotation', async () => {
    const annotation = dashboard.annotations.list.find((item: { name: string }) => item.name === 'Battery below 20 %');
    useVariables(variables());
    const response = await datasource().query(request([annotation.target]));
    const [frame] = response.data as DataFrame[];
    expect(values(frame, 'title')).toEqual(['d2 below 20']);
    expect(values(frame, 'time')).toEqual([SEED_START_MS + 71 * 60_000]);
    expect(values(frame, 'timeEnd')).toEqual([END_MS - 60_000]);
  });
});
