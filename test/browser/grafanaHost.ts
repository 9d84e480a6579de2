// Serves the browser test's page and emulates the Grafana server parts a frontend datasource meets:
// the plugin's static files, the datasource settings API (secrets become secureJsonFields) and the
// data proxy, which applies plugin.json's route (URL and headers from jsonData / secureJsonData).
import express, { Request, Response } from 'express';
import { readdirSync, readFileSync, statSync } from 'fs';
import { Server } from 'http';
import { AddressInfo } from 'net';
import { join } from 'path';

const repoRoot = join(__dirname, '..', '..');
const pluginDist = join(repoRoot, 'plugin', 'dist');

interface PluginRoute {
  path: string;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface DatasourceSettings {
  id: number;
  uid: string;
  orgId: number;
  name: string;
  type: string;
  access: 'proxy';
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonFields: Record<string, boolean>;
  secureJsonData?: Record<string, string>;
  version: number;
  [key: string]: unknown;
}

export interface GrafanaHost {
  url: string;
  /** What Grafana would have stored for the datasource, secrets included. */
  stored(): { settings: DatasourceSettings; secrets: Record<string, string> };
  close(): Promise<void>;
}

/**
 * Grafana serves its Inter and Roboto Mono web fonts itself; they are not on npm. A sans-serif font
 * the system has stands in (Chromium's dependencies always install one), so the page draws text.
 */
function listFontFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      return listFontFiles(path);
    }
    return /\.(ttf|otf)$/i.test(entry) ? [path] : [];
  });
}

function findSystemFont(): string | undefined {
  const fonts = listFontFiles('/usr/share/fonts');
  const plainSans = (path: string) => /sans/i.test(path) && !/(mono|bold|italic|oblique|condensed|light|serif)/i.test(path.replace(/sans/gi, ''));
  return fonts.find(plainSans) ?? fonts[0];
}

/** Fills Grafana's route templates: `{{ .JsonData.url }}`, `{{ .SecureJsonData.token }}`. */
function renderTemplate(template: string, jsonData: Record<string, unknown>, secrets: Record<string, string>): string {
  return template.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_m, scope: string, key: string) =>
    String((scope === 'JsonData' ? jsonData[key] : secrets[key]) ?? ''),
  );
}

function indexHtml(config: object): string {
  const bootData = {
    assets: { dark: '', light: '' },
    settings: { buildInfo: { version: '12.4.10', env: 'production' }, featureToggles: {}, appSubUrl: '', datasources: {}, panels: {} },
    user: { theme: 'dark', lightTheme: false, timezone: 'utc', locale: 'en-US', language: 'en-US' },
    navTree: [],
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sensorstore plugin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/host/main.css">
<script>window.grafanaBootData = ${JSON.stringify(bootData)}; window.__grafana_public_path__ = '/public/';</script>
<script src="/host/main.js"></script>
<script src="/systemjs/system.js"></script>
<script src="/systemjs/extras/amd.js"></script>
</head><body><div id="root"></div>
<script>window.sensorstoreHost.start(System, ${JSON.stringify(config)}).catch(function (err) { console.error('host start failed: ' + (err && err.stack || err)); });</script>
</body></html>`;
}

export async function startGrafanaHost(options: {
  hostDir: string;
  sidecarUrl: string;
  fromMs: number;
  toMs: number;
}): Promise<GrafanaHost> {
  const pluginJson = JSON.parse(readFileSync(join(pluginDist, 'plugin.json'), 'utf8')) as { id: string; routes: PluginRoute[] };
  const uid = 'sensorstore';
  let secrets: Record<string, string> = {};
  let settings: DatasourceSettings = {
    id: 1,
    uid,
    orgId: 1,
    name: 'Sensorstore',
    type: pluginJson.id,
    typeName: 'Sensorstore',
    access: 'proxy',
    url: '',
    jsonData: { url: options.sidecarUrl },
    secureJsonFields: {},
    version: 1,
    readOnly: false,
  };

  const app = express();
  app.get('/', (_req, res) => {
    res.type('html').send(indexHtml({ pluginId: pluginJson.id, datasourceUid: uid, fromMs: options.fromMs, toMs: options.toMs }));
  });
  app.use('/host', express.static(options.hostDir));
  app.use('/systemjs', express.static(join(repoRoot, 'node_modules', 'systemjs', 'dist')));
  app.use(`/public/plugins/${pluginJson.id}`, express.static(pluginDist));
  const font = findSystemFont();
  app.get(/^\/public\/fonts\//, (_req, res) => {
    if (!font) {
      res.status(404).end();
      return;
    }
    res.type(font.endsWith('.otf') ? 'font/otf' : 'font/ttf').sendFile(font);
  });
  app.use('/public/build/img/icons', express.static(join(repoRoot, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons')));
  app.use('/public/build/img/icons', express.static(join(__dirname, 'icons')));

  app.get(`/api/datasources/uid/${uid}`, (_req, res) => {
    res.json(settings);
  });
  // Grafana keeps submitted secrets encrypted and answers only which ones are set.
  app.put(`/api/datasources/uid/${uid}`, express.json(), (req: Request, res: Response) => {
    const body = req.body as DatasourceSettings;
    const nextSecrets = { ...secrets };
    for (const [key, value] of Object.entries(body.secureJsonData ?? {})) {
      if (value) {
        nextSecrets[key] = value;
      } else if (body.secureJsonFields?.[key] === false) {
        delete nextSecrets[key];
      }
    }
    secrets = nextSecrets;
    const { secureJsonData: _dropped, ...rest } = body;
    settings = {
      ...rest,
      uid,
      version: settings.version + 1,
      secureJsonFields: Object.fromEntries(Object.keys(secrets).map((key) => [key, true])),
    };
    res.json(settings);
  });

  // The data proxy: /api/datasources/proxy/uid/<uid>/<route path>/<rest> → route url + /<rest>.
  app.use(`/api/datasources/proxy/uid/${uid}`, express.raw({ type: () => true, limit: '10mb' }), async (req: Request, res: Response) => {
    const proxyPath = req.path.replace(/^\/+/, '');
    const route = pluginJson.routes.find((candidate) => proxyPath === candidate.path || proxyPath.startsWith(`${candidate.path}/`));
    if (!route) {
      res.status(404).json({ message: 'Not found' });
      return;
    }
    const target = renderTemplate(route.url, settings.jsonData, secrets).replace(/\/+$/, '') + proxyPath.slice(route.path.length);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const headers: Record<string, string> = {};
    if (req.headers['content-type']) {
      headers['content-type'] = req.headers['content-type'];
    }
    for (const header of route.headers ?? []) {
      headers[header.name] = renderTemplate(header.content, settings.jsonData, secrets);
    }
    try {
      const upstream = await fetch(target + query, {
        method: req.method,
        headers,
        body: ['GET', 'HEAD'].includes(req.method) || !Buffer.isBuffer(req.body) ? undefined : new Uint8Array(req.body),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.status(upstream.status);
      const contentType = upstream.headers.get('content-type');
      if (contentType) {
        res.type(contentType);
      }
      res.send(body);
    } catch {
      // As Grafana's reverse proxy: a failed upstream connection is a bare 502.
      res.status(502).end();
    }
  });

  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stored: () => ({ settings, secrets }),
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
