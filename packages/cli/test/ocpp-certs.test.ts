import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const bin = path.resolve(__dirname, '..', '..', 'bin', 'evpaxos.js');

describe('evpaxos ocpp-certs (OCPP Security Profile 2 demo certificates)', function () {
  this.timeout(60_000);

  it('writes a CA and a server certificate for the named hosts, keys readable by the owner only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-certs-'));
    const out = spawnSync(
      process.execPath,
      [
        bin,
        'ocpp-certs',
        '--out',
        dir,
        '--host',
        'central-a',
        '--host',
        '10.0.0.7',
        '--valid-days',
        '30',
      ],
      { encoding: 'utf8' },
    );
    expect(out.status, out.stderr).to.equal(0);
    const section = JSON.parse(out.stdout.slice(out.stdout.indexOf('{\n'))) as {
      ocppSecurity: { profile: number; certFile: string; keyFile: string; caFile: string };
    };
    expect(section.ocppSecurity.profile).to.equal(2);
    const ca = new X509Certificate(fs.readFileSync(section.ocppSecurity.caFile));
    const server = new X509Certificate(fs.readFileSync(section.ocppSecurity.certFile));
    expect(ca.ca).to.equal(true);
    expect(server.ca).to.equal(false);
    expect(server.checkIssued(ca)).to.equal(true);
    expect(server.verify(ca.publicKey)).to.equal(true);
    expect(server.subjectAltName).to.equal('DNS:central-a, IP Address:10.0.0.7');
    expect(server.checkHost('central-a')).to.equal('central-a');
    expect(server.checkIP('10.0.0.7')).to.equal('10.0.0.7');
    const days = (Date.parse(server.validTo) - Date.now()) / 86_400_000;
    expect(days).to.be.within(29, 31);
    for (const key of [section.ocppSecurity.keyFile, path.join(dir, 'ca.key')]) {
      expect(fs.statSync(key).mode & 0o777).to.equal(0o600);
    }
    expect(out.stdout).to.not.contain('PRIVATE KEY');
  });

  it('refuses a bad validity with a clear error and exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-certs-'));
    const out = spawnSync(
      process.execPath,
      [bin, 'ocpp-certs', '--out', dir, '--valid-days', '0'],
      {
        encoding: 'utf8',
      },
    );
    expect(out.status).to.equal(1);
    expect(out.stderr).to.contain('validDays must be at least 1');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });
});
