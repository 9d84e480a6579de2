// The browser test's host page: loads the built plugin the way Grafana does (SystemJS, AMD, shared
// packages registered under Grafana's names) and shows its settings page and a panel with a table.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import {
  applyFieldOverrides,
  createTheme,
  DataFrame,
  DataQuery,
  DataQueryRequest,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePlugin,
  DataSourceSettings,
  dateTime,
  LoadingState,
  rangeUtil,
  ThemeContext,
  TimeRange,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import { Alert, Button, GlobalStyles, Table } from '@grafana/ui';
import * as lodash from 'lodash';
import * as React from 'react';
import { useRef, useState } from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import { lastValueFrom, isObservable } from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

import { createBackendSrv, createTemplateSrv } from './grafanaServices';

interface SystemJSLike {
  set(id: string, module: object): void;
  addImportMap(map: { imports: Record<string, string> }): void;
  import(id: string): Promise<{ plugin: DataSourcePlugin<DataSourceApi<DataQuery>> }>;
}

interface HostConfig {
  pluginId: string;
  datasourceUid: string;
  /** The time range the panel shows, as epoch milliseconds. */
  fromMs: number;
  toMs: number;
}

// What Grafana shares with plugins (public/app/features/plugins/loader/sharedDependencies.ts).
const SHARED_PACKAGES: Record<string, object> = {
  react: React,
  'react-dom': ReactDOM,
  'react-dom/client': ReactDOMClient,
  'react/jsx-runtime': jsxRuntime,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  rxjs,
  'rxjs/operators': rxjsOperators,
  lodash: { __useDefault: true, default: lodash },
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
};

const theme = createTheme({ colors: { mode: 'dark' } });
const PANEL_WIDTH_PX = 960;
const PANEL_HEIGHT_PX = 280;

async function start(System: SystemJSLike, config: HostConfig): Promise<void> {
  const imports: Record<string, string> = {};
  for (const [name, module] of Object.entries(SHARED_PACKAGES)) {
    System.set(`package:${name}`, module);
    imports[name] = `package:${name}`;
  }
  System.addImportMap({ imports });
  setBackendSrv(createBackendSrv());
  setTemplateSrv(createTemplateSrv());

  const { plugin } = await System.import(`/public/plugins/${config.pluginId}/module.js`);
  const meta = await (await window.fetch(`/public/plugins/${config.pluginId}/plugin.json`)).json();
  const settings = (await (await window.fetch(`/api/datasources/uid/${config.datasourceUid}`)).json()) as DataSourceSettings;
  const root = ReactDOMClient.createRoot(document.getElementById('root')!);
  root.render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <Host plugin={plugin} meta={meta} initialSettings={settings} config={config} />
    </ThemeContext.Provider>,
  );
}

function instanceSettingsOf(settings: DataSourceSettings, meta: DataSourceInstanceSettings['meta']): DataSourceInstanceSettings {
  return {
    id: settings.id,
    uid: settings.uid,
    type: settings.type,
    name: settings.name,
    meta,
    access: 'proxy',
    readOnly: false,
    // Grafana's data proxy URL for this datasource; the page's server forwards it to the sidecar.
    url: `/api/datasources/proxy/uid/${settings.uid}`,
    jsonData: settings.jsonData,
  };
}

interface HostProps {
  plugin: DataSourcePlugin<DataSourceApi<DataQuery>>;
  meta: DataSourceInstanceSettings['meta'];
  initialSettings: DataSourceSettings;
  config: HostConfig;
}

function Host({ plugin, meta, initialSettings, config }: HostProps) {
  const [settings, setSettings] = useState<DataSourceSettings>(initialSettings);
  const [testResult, setTestResult] = useState<{ status: string; message: string } | undefined>();
  const [datasource, setDatasource] = useState<DataSourceApi<DataQuery>>(() => new plugin.DataSourceClass(instanceSettingsOf(initialSettings, meta)));
  const ConfigEditor = plugin.components.ConfigEditor!;

  // As Grafana's "Save & test": store the settings (secrets become secureJsonFields), then test.
  const saveAndTest = async () => {
    setTestResult(undefined);
    const saved = (await (
      await window.fetch(`/api/datasources/uid/${settings.uid}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) })
    ).json()) as DataSourceSettings;
    setSettings(saved);
    const fresh = new plugin.DataSourceClass(instanceSettingsOf(saved, meta));
    setDatasource(fresh);
    try {
      const result = await fresh.testDatasource();
      setTestResult({ status: result.status, message: result.message });
    } catch (err) {
      setTestResult({ status: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };

  return (
    <div style={{ padding: 16, display: 'flex', flexDirection: 'column', gap: 24, width: PANEL_WIDTH_PX + 32 }}>
      <section aria-label="Datasource settings">
        <h3>Sensorstore settings</h3>
        <ConfigEditor options={settings} onOptionsChange={setSettings} />
        <div style={{ marginTop: 8 }}>
          <Button onClick={saveAndTest}>Save &amp; test</Button>
        </div>
        {testResult && (
          <div style={{ marginTop: 8 }}>
            <Alert severity={testResult.status === 'success' ? 'success' : 'error'} title={testResult.message} data-testid={`test-result-${testResult.status}`} />
          </div>
        )}
      </section>
      <Panel key={datasource.uid + JSON.stringify(settings.version ?? 0)} plugin={plugin} datasource={datasource} config={config} />
    </div>
  );
}

interface PanelProps {
  plugin: DataSourcePlugin<DataSourceApi<DataQuery>>;
  datasource: DataSourceApi<DataQuery>;
  config: HostConfig;
}

function Panel({ plugin, datasource, config }: PanelProps) {
  const QueryEditor = plugin.components.QueryEditor!;
  const [query, setQuery] = useState<DataQuery>({ refId: 'A', ...(datasource.getDefaultQuery?.('dashboard' as never) ?? {}) });
  // Grafana runs the queries as they are when onRunQuery is called, right after the last onChange.
  const latestQuery = useRef(query);
  const changeQuery = (next: DataQuery) => {
    latestQuery.current = next;
    setQuery(next);
  };
  const [frames, setFrames] = useState<DataFrame[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [runs, setRuns] = useState(0);
  // Grafana hands editors the same range object until the time range changes.
  const [range] = useState<TimeRange>(() => ({ from: dateTime(config.fromMs), to: dateTime(config.toMs), raw: { from: dateTime(config.fromMs), to: dateTime(config.toMs) } }));

  const run = async (current: DataQuery) => {
    if (datasource.filterQuery && !datasource.filterQuery(current)) {
      return;
    }
    const interval = rangeUtil.calculateInterval(range, PANEL_WIDTH_PX);
    const request: DataQueryRequest<DataQuery> = {
      requestId: `Q${runs}`,
      interval: interval.interval,
      intervalMs: interval.intervalMs,
      maxDataPoints: PANEL_WIDTH_PX,
      range,
      scopedVars: {},
      targets: [current],
      timezone: 'utc',
      app: 'dashboard',
      startTime: Date.now(),
    };
    const answer = datasource.query(request);
    const response = isObservable(answer) ? await lastValueFrom(answer) : await answer;
    setFrames(
      applyFieldOverrides({
        data: response.data as DataFrame[],
        fieldConfig: { defaults: {}, overrides: [] },
        replaceVariables: (value: string) => value,
        theme,
        timeZone: 'utc',
      }),
    );
    setErrors((response.errors ?? []).map((error) => `${error.refId}: ${error.message}`));
    setRuns((count) => count + 1);
  };

  return (
    <section aria-label="Panel">
      <h3>Panel</h3>
      <QueryEditor
        datasource={datasource}
        query={query}
        range={range}
        data={{ state: LoadingState.Done, series: frames, timeRange: range }}
        onChange={changeQuery}
        onRunQuery={() => void run(latestQuery.current)}
      />
      <div data-testid="query-runs" data-runs={runs} style={{ marginTop: 8 }}>
        {errors.map((error) => (
          <Alert key={error} severity="error" title={error} data-testid="query-error" />
        ))}
        {frames.map((frame, index) => (
          <div key={index} data-testid="result-table" style={{ marginBottom: 8 }}>
            <Table data={frame} width={PANEL_WIDTH_PX} height={Math.min(PANEL_HEIGHT_PX, 36 * (frame.length + 1) + 4)} />
          </div>
        ))}
      </div>
    </section>
  );
}

(window as unknown as { sensorstoreHost: { start: typeof start } }).sensorstoreHost = { start };
