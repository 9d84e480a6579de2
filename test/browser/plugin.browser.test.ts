// The built plugin (plugin/dist/module.js) in headless Chromium, loaded as Grafana loads it, against
// a real sidecar: Save & test (wrong token, right token), the query editor's pickers filled from the
// sidecar, and the query result in @grafana/ui's Table. Any page error, console error or unexpected
// HTTP error fails the test; screenshots go to test/browser/artifacts/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Browser, chromium, Page } from 'playwright-core';

import { fleetSeed, READ_TOKEN, RunningSidecar, SEED_POINTS, SEED_START_MS, SEED_STEP_MS, startSidecar } from '../plugin/sidecar';
import { buildHost } from './buildHost';
import { GrafanaHost, startGrafanaHost } from './grafanaHost';

const repoRoot = join(__dirname, '..', '..');
const artifactsDir = join(__dirname, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Playwright adds --headless and a fresh --user-data-dir itself.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('the built plugin in Chromium', () => {
  let sidecar: RunningSidecar;
  let host: GrafanaHost;
  let browser: Browser;
  let page: Page;
  let hostDir: string;
  const problems: string[] = [];
  /** HTTP errors a step provokes on purpose, e.g. the 401 of a wrong token. */
  let expectedStatuses = new Set<number>();

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'plugin', 'dist', 'module.js'))) {
      throw new Error('plugin/dist/module.js is missing: build the plugin first (npm run build -w plugin)');
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (or set CHROMIUM_PATH)`);
    }
    mkdirSync(artifactsDir, { recursive: true });
    sidecar = await startSidecar({ withTokens: true });
    await sidecar.write(fleetSeed());
    hostDir = mkdtempSync(join(tmpdir(), 'sensorstore-host-'));
    await buildHost(hostDir);
    host = await startGrafanaHost({ hostDir, sidecarUrl: sidecar.url, fromMs: SEED_START_MS, toMs: SEED_START_MS + SEED_POINTS * SEED_STEP_MS });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      const expectedFailure = /status of (\d+)/.exec(message.text());
      if (expectedFailure && expectedStatuses.has(Number(expectedFailure[1]))) {
        return;
      }
      if (message.type() === 'error') {
        problems.push(`console error: ${message.text()}`);
      }
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && !expectedStatuses.has(response.status())) {
        problems.push(`HTTP ${response.status()} from ${response.request().method()} ${response.url()}`);
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await sidecar?.stop();
    if (hostDir) {
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  /** Runs one step; on failure saves a screenshot named after it and adds the sidecar's output. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    problems.length = 0;
    try {
      await body();
      expect(problems).toEqual([]);
    } catch (err) {
      const file = join(artifactsDir, `failure-${name.replace(/\W+/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      (err as Error).message += `\nscreenshot: ${file}\nbrowser problems: ${JSON.stringify(problems)}\nsidecar output:\n${sidecar.output()}`;
      throw err;
    }
  }

  async function saveAndTest(): Promise<string> {
    await page.getByRole('button', { name: 'Save & test' }).click();
    const alert = page.locator('[data-testid^="test-result-"]');
    await alert.waitFor();
    return `${await alert.getAttribute('data-testid')}: ${await alert.innerText()}`;
  }

  /** Opens a @grafana/ui Combobox, types to search, and picks an option from the list it shows. */
  async function pick(inputSelector: string, search: string, option: string): Promise<string[]> {
    const input = page.locator(inputSelector);
    await input.click();
    await input.fill(search);
    const options = page.getByRole('option');
    await options.filter({ hasText: new RegExp(`^${option}$`) }).first().waitFor();
    const offered = await options.allInnerTexts();
    await options.filter({ hasText: new RegExp(`^${option}$`) }).first().click();
    return offered.map((text) => text.trim());
  }

  /** How many times the panel ran its query so far (the host page counts). */
  async function queryRuns(): Promise<number> {
    return Number(await page.getByTestId('query-runs').getAttribute('data-runs'));
  }

  async function waitForRuns(count: number): Promise<void> {
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="query-runs"]')?.getAttribute('data-runs')) >= n, count);
  }

  it('loads through SystemJS and renders the settings page', async () => {
    await step('load', async () => {
      await page.goto(host.url);
      await page.getByText('Sensorstore settings').waitFor();
      await page.locator('#sensorstore-url').waitFor();
      expect(await page.locator('#sensorstore-url').inputValue()).toBe(sidecar.url);
    });
  });

  it('fails "Save & test" clearly with a wrong token', async () => {
    await step('wrong-token', async () => {
      expectedStatuses = new Set([401]);
      await page.locator('#sensorstore-token').fill('not-the-token');
      const result = await saveAndTest();
      expect(result).toMatch(/^test-result-error: The sidecar refused the token/);
      expect(result).toMatch(/check the token in the datasource settings/);
      expectedStatuses = new Set();
    });
  });

  it('passes "Save & test" with the read token and reports the series count', async () => {
    await step('right-token', async () => {
      // The wrong token is stored now: Grafana shows it as configured until it is reset.
      await page.getByRole('button', { name: 'Reset' }).click();
      await page.locator('#sensorstore-token').fill(READ_TOKEN);
      const result = await saveAndTest();
      expect(result).toMatch(new RegExp(`^test-result-success: Connected to Sensorstore .+ at ${sidecar.url.replace(/\./g, '\\.')}: 16 series$`));
      expect(host.stored().secrets).toEqual({ token: READ_TOKEN });
      expect(host.stored().settings).not.toHaveProperty('secureJsonData');
    });
  });

  it("picks a metric and a label filter from the sidecar's lists and renders the result", async () => {
    await step('query', async () => {
      // Typing searches the sidecar's metric names; the list offers only what matches.
      const metrics = await pick('#sensorstore-A-metric', 'temp', 'temperature');
      expect(metrics.filter((text) => !text.startsWith('temp'))).toEqual([]);
      await page.locator('[data-testid="result-table"]').nth(3).waitFor();
      expect(await page.locator('[data-testid="result-table"]').count()).toBe(4);

      const runsWithMetric = await queryRuns();
      expect(runsWithMetric).toBe(1);

      // Adding a filter and picking its label does not run the query; picking the value does.
      await page.locator('#sensorstore-A-filter-add').click();
      const labels = await pick('#sensorstore-A-filter-0-label', '', 'site');
      expect(labels).toEqual(['device', 'kind', 'site']);
      expect(await queryRuns()).toBe(runsWithMetric);
      const sites = await pick('#sensorstore-A-filter-0-value', '', 'paris');
      expect(sites).toEqual(['berlin', 'paris']);
      await waitForRuns(runsWithMetric + 1);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="result-table"]').length === 2);

      // Typing a legend runs nothing until the field is left.
      await page.locator('#sensorstore-A-legend').fill('{{device}} {{site}}');
      expect(await queryRuns()).toBe(runsWithMetric + 1);
      await page.locator('#sensorstore-A-legend').blur();
      await waitForRuns(runsWithMetric + 2);
      const tables = page.locator('[data-testid="result-table"]');
      await tables.filter({ hasText: 'd3 paris' }).waitFor();
      await tables.filter({ hasText: 'd4 paris' }).waitFor();
      expect(await tables.filter({ hasText: 'berlin' }).count()).toBe(0);
      // The panel is 960 px wide over two hours: Grafana's interval is 10 s, already a nice step.
      expect(await page.getByTestId('sensorstore-step-used').innerText()).toBe('Step used: 10s');
      // The degree sign shows the sidecar's unit made it through to the table.
      expect(await tables.first().innerText()).toMatch(/2\d\.\d+ °C/);

      await page.screenshot({ path: join(artifactsDir, 'plugin-browser-test.png'), fullPage: true });
    });
  });
});
