// Checks that plugin/dist holds what Grafana needs to load the plugin: an AMD module.js that takes
// Grafana's shared packages as dependencies instead of bundling them, plugin.json, logos, README and
// CHANGELOG. `npm test` builds the plugin first.
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

const pluginDir = join(__dirname, '..', '..', 'plugin');
const dist = join(pluginDir, 'dist');

/** Packages Grafana hands to plugins at run time, plus the AMD loader's own `module`. */
const PROVIDED_BY_GRAFANA = new Set([
  'module',
  'react',
  'react-dom',
  'react/jsx-runtime',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  'rxjs',
  'rxjs/operators',
  'lodash',
  '@emotion/css',
  '@emotion/react',
]);

describe('plugin/dist', () => {
  beforeAll(() => {
    if (!existsSync(join(dist, 'module.js'))) {
      throw new Error('plugin/dist/module.js is missing: build the plugin first (npm run build -w plugin)');
    }
  });

  it("is an AMD module whose dependencies Grafana provides", () => {
    const moduleJs = readFileSync(join(dist, 'module.js'), 'utf8');
    const header = /^define\((\[[^\]]*\]),/.exec(moduleJs);
    expect(header).not.toBeNull();
    const dependencies = JSON.parse(header![1]) as string[];
    expect(dependencies.filter((name) => !PROVIDED_BY_GRAFANA.has(name))).toEqual([]);
    expect(dependencies).toEqual(expect.arrayContaining(['@grafana/data', '@grafana/ui', '@grafana/runtime', 'react']));
    // A bundled copy of React or @grafana/data would break hooks and instanceof checks in Grafana.
    expect(moduleJs).not.toMatch(/__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED|react\.production\.min/);
  });

  it('carries plugin.json as written, with its logos, README and CHANGELOG', () => {
    const built = JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8'));
    expect(built).toEqual(JSON.parse(readFileSync(join(pluginDir, 'src', 'plugin.json'), 'utf8')));
    for (const logo of new Set([built.info.logos.small, built.info.logos.large])) {
      expect(existsSync(join(dist, logo))).toBe(true);
    }
    expect(readFileSync(join(dist, 'README.md'), 'utf8')).toBe(readFileSync(join(pluginDir, 'README.md'), 'utf8'));
    expect(readFileSync(join(dist, 'CHANGELOG.md'), 'utf8')).toContain(`## ${built.info.version}`);
  });
});
