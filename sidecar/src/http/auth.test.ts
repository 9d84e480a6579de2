// Tokens and scopes over HTTP: open scopes, read and write tokens, every way clients send them.

import { TestServer, startTestServer } from './testing/serve';

const READ = 'read-secret';
const WRITE = 'write-secret';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function status(server: TestServer, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') ?? false;
  return { status: response.status, code: json ? (JSON.parse(text) as { code?: string }).code : undefined, auth: response.headers.get('www-authenticate') };
}

const readQuery = (headers: Record<string, string> = {}) => ({ method: 'POST', headers, body: '{}' });
const lineWrite = (headers: Record<string, string> = {}) => ({ method: 'POST', headers, body: 'm value=1 1' });

describe('with read and write tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { tokenRead: READ, tokenWrite: WRITE } });
  });
  afterAll(() => server.close());

  it('keeps /health and /ready open', async () => {
    expect((await status(server, '/health')).status).toBe(200);
    expect((await status(server, '/ready')).status).toBe(200);
  });

  it('answers 401 without a token or with an unknown one', async () => {
    expect(await status(server, '/api/native/metrics', readQuery())).toEqual({ status: 401, code: 'UNAUTHORIZED', auth: 'Bearer realm="sensorstore"' });
    expect((await status(server, '/api/native/metrics', readQuery({ Authorization: 'Bearer nope' }))).status).toBe(401);
    expect((await status(server, '/metrics')).status).toBe(401);
    expect((await status(server, '/write', lineWrite())).status).toBe(401);
  });

  it('lets the read token read but not write (403)', async () => {
    expect((await status(server, '/api/native/metrics', readQuery({ Authorization: `Bearer ${READ}` }))).status).toBe(200);
    expect((await status(server, '/metrics', { headers: { Authorization: `Bearer ${READ}` } })).status).toBe(200);
    expect(await status(server, '/write', lineWrite({ Authorization: `Bearer ${READ}` }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('lets the write token write and read', async () => {
    expect((await status(server, '/write', lineWrite({ Authorization: `Bearer ${WRITE}` }))).status).toBe(204);
    expect((await status(server, '/api/native/status', { headers: { Authorization: `Bearer ${WRITE}` } })).status).toBe(200);
  });

  it('accepts the forms InfluxDB clients send', async () => {
    expect((await status(server, '/api/v2/write?bucket=b', lineWrite({ Authorization: `Token ${WRITE}` }))).status).toBe(204);
    expect((await status(server, '/write', lineWrite({ Authorization: `Token user:${WRITE}` }))).status).toBe(204);
    expect((await status(server, '/write', lineWrite({ Authorization: basic('telegraf', WRITE) }))).status).toBe(204);
    expect((await status(server, `/write?u=telegraf&p=${WRITE}`, lineWrite())).status).toBe(204);
    expect((await status(server, '/write', lineWrite({ Authorization: basic('telegraf', 'wrong') }))).status).toBe(401);
  });
});

describe('with only a read token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { tokenRead: READ } });
  });
  afterAll(() => server.close());

  it('keeps writes open and reads closed', async () => {
    expect((await status(server, '/write', lineWrite())).status).toBe(204);
    expect((await status(server, '/api/native/metrics', readQuery())).status).toBe(401);
    expect(server.sidecar.auth.openScopes()).toEqual(['write']);
  });
});

describe('without tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lets everyone read and write, ignoring any token sent', async () => {
    expect((await status(server, '/write', lineWrite({ Authorization: 'Bearer whatever' }))).status).toBe(204);
    expect((await status(server, '/api/native/metrics', readQuery())).status).toBe(200);
    expect(server.sidecar.auth.openScopes()).toEqual(['read', 'write']);
  });
});
