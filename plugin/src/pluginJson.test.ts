// Checks plugin.json against the rules Grafana enforces when it loads a datasource plugin.
import { readFileSync, existsSync } from 'fs';
import { join } from 'path';

const srcDir = __dirname;
const pluginJson = JSON.parse(readFileSync(join(srcDir, 'plugin.json'), 'utf8'));
const packageJson = JSON.parse(readFileSync(join(srcDir, '..', 'package.json'), 'utf8'));

describe('plugin.json', () => {
  it('has an id Grafana accepts for a datasource', () => {
    expect(pluginJson.id).toMatch(/^[0-9a-z]+-([0-9a-z]+-)?datasource$/);
    expect(pluginJson.id).toBe('sensorstore-datasource');
    expect(pluginJson.type).toBe('datasource');
  });

  it('holds the required fields and logos that exist', () => {
    expect(typeof pluginJson.name).toBe('string');
    expect(pluginJson.info.version).toBe(packageJson.version);
    expect(pluginJson.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Array.isArray(pluginJson.info.keywords)).toBe(true);
    for (const logo of [pluginJson.info.logos.small, pluginJson.info.logos.large]) {
      expect(existsSync(join(srcDir, logo))).toBe(true);
    }
    expect(pluginJson.metrics).toBe(true);
    expect(pluginJson.annotations).toBe(true);
    // Grafana refuses alerting on frontend-only plugins; alerting goes through the Prometheus API.
    expect(pluginJson.alerting).toBeUndefined();
    expect(pluginJson.backend).toBeUndefined();
  });

  it('requires exactly the Grafana version the @grafana packages are pinned to', () => {
    const grafanaVersions = ['@grafana/data', '@grafana/ui', '@grafana/runtime', '@grafana/schema'].map(
      (name) => packageJson.dependencies[name],
    );
    expect(new Set(grafanaVersions).size).toBe(1);
    expect(pluginJson.dependencies.grafanaDependency).toBe(`>=${grafanaVersions[0]}`);
  });

  it('adds the bearer token server-side through the data proxy route', () => {
    expect(pluginJson.routes).toEqual([
      {
        path: 'sidecar',
        url: '{{ .JsonData.url }}',
        headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.token }}' }],
      },
    ]);
  });
});
