// Error mapping: what the user reads when a call to the sidecar fails.
import { SidecarError, toSidecarError } from './errors';

function fetchError(status: number, data: unknown, statusText = '') {
  return { status, data, statusText, config: { url: '/x' } };
}

describe('toSidecarError', () => {
  it("passes the sidecar's own code and message through", () => {
    const err = toSidecarError(fetchError(400, { code: 'INVALID_REQUEST', message: 'matchers[0].op: "==" is not one of =, !=, =~, !~' }), '/api/native/query');
    expect(err).toBeInstanceOf(SidecarError);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', status: 400, endpoint: '/api/native/query' });
    expect(err.message).toBe('INVALID_REQUEST: matchers[0].op: "==" is not one of =, !=, =~, !~');
  });

  it('says a refused token is the problem', () => {
    const err = toSidecarError(fetchError(401, { code: 'UNAUTHORIZED', message: 'bad token' }), '/api/native/status');
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toMatch(/refused the token.*check the token/);
    expect(toSidecarError(fetchError(401, ''), '/x').code).toBe('UNAUTHORIZED');
    expect(toSidecarError(fetchError(403, { code: 'FORBIDDEN', message: 'needs read' }), '/x').message).toMatch(/read scope/);
  });

  it('says when the sidecar is still recovering', () => {
    const err = toSidecarError(fetchError(503, { code: 'NOT_READY', message: 'the storage engine failed to open: EACCES' }), '/api/native/status');
    expect(err).toMatchObject({ code: 'NOT_READY', status: 503 });
    expect(err.message).toBe('The sidecar is not ready yet (NOT_READY: the storage engine failed to open: EACCES)');
  });

  it("says the sidecar is unreachable when Grafana's proxy could not connect", () => {
    const err = toSidecarError(fetchError(502, { message: 'Bad Gateway' }), '/api/native/status');
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(/Could not reach the sidecar \(\/api\/native\/status: 502 Bad Gateway\); check the URL/);
    expect(toSidecarError(new TypeError('Failed to fetch'), '/x').code).toBe('UNREACHABLE');
  });

  it('reports other statuses with what came back', () => {
    const err = toSidecarError(fetchError(500, '<html>oops</html>', 'Internal Server Error'), '/api/native/query');
    expect(err).toMatchObject({ code: 'HTTP_ERROR', status: 500 });
    expect(err.message).toBe('The sidecar answered 500 on /api/native/query: <html>oops</html>');
  });
});
