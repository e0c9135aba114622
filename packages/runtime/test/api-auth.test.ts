import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { ApiGuard } from '../src/api-auth';

const token = 'a'.repeat(64);

function request(headers: Record<string, string>): IncomingMessage {
  return { headers: { host: '127.0.0.1:7100', ...headers } } as unknown as IncomingMessage;
}

describe('ApiGuard: authenticated control (docs/CLUSTER.md, "Authentication")', () => {
  const guard = new ApiGuard(token, []);

  it('takes the token with the Bearer scheme in any case (RFC 9110 §11.1)', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(guard.check(request({ authorization: `${scheme} ${token}` }), false), scheme).to.equal(
        undefined,
      );
    }
  });

  it('refuses another scheme, a wrong token and no token with 401', () => {
    for (const authorization of [`Basic ${token}`, 'Bearer abc', '']) {
      expect(guard.check(request({ authorization }), false)?.status, authorization).to.equal(401);
    }
  });

  it('lets a read-only upgrade from this origin or from no browser through, and refuses a foreign Origin or a rebound Host with 403', () => {
    expect(guard.checkCrossSite(request({}))).to.equal(undefined);
    expect(guard.checkCrossSite(request({ origin: 'http://127.0.0.1:7100' }))).to.equal(undefined);
    expect(guard.checkCrossSite(request({ origin: 'http://evil.example' }))?.status).to.equal(403);
    expect(guard.checkCrossSite(request({ host: 'evil.example:7100' }))?.status).to.equal(403);
  });
});
