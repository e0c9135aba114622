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
});
