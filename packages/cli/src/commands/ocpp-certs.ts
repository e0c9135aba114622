import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { generateDemoCertificates } from '@evpaxos/ocpp';

interface CertsArgs {
  out: string;
  host: string[];
  validDays: number;
}

/** The file names `evpaxos ocpp-certs` writes, as the cluster file's ocppSecurity section names them. */
export const demoCertFiles = {
  caFile: 'ca.crt',
  caKeyFile: 'ca.key',
  certFile: 'server.crt',
  keyFile: 'server.key',
} as const;

/**
 * Writes a demo CA and a server certificate for Security Profile 2 into `dir` (keys mode 0600) and
 * returns the ocppSecurity section that uses them (docs/OCPP.md, "Security profiles").
 */
export function writeDemoCertificates(
  dir: string,
  hosts: readonly string[],
  validDays: number,
): { profile: 2; certFile: string; keyFile: string; caFile: string } {
  const certs = generateDemoCertificates({ hosts, validDays });
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string, mode: number): string => {
    const file = path.resolve(dir, name);
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  };
  const caFile = write(demoCertFiles.caFile, certs.caCertPem, 0o644);
  write(demoCertFiles.caKeyFile, certs.caKeyPem, 0o600);
  const certFile = write(demoCertFiles.certFile, certs.serverCertPem, 0o644);
  const keyFile = write(demoCertFiles.keyFile, certs.serverKeyPem, 0o600);
  return { profile: 2, certFile, keyFile, caFile };
}

/**
 * The launcher's ocppSecurity section (docs/OCPP.md, "Security profiles"): profile 2 with demo
 * certificates in `<clusterDir>/certs` for `host`, made once and kept for a restarted cluster.
 */
export function demoOcppSecurity(
  clusterDir: string,
  host: string,
): { profile: 2; certFile: string; keyFile: string; caFile: string } {
  const dir = path.join(clusterDir, 'certs');
  const files = {
    profile: 2 as const,
    certFile: path.join(dir, demoCertFiles.certFile),
    keyFile: path.join(dir, demoCertFiles.keyFile),
    caFile: path.join(dir, demoCertFiles.caFile),
  };
  if ([files.certFile, files.keyFile, files.caFile].every((file) => fs.existsSync(file))) {
    return files;
  }
  return writeDemoCertificates(dir, [...new Set([host, 'localhost', '127.0.0.1'])], 365);
}

/**
 * `evpaxos ocpp-certs`: OCPP Security Profile 2 demo certificates (docs/OCPP.md, "Security
 * profiles"). A command of its own: `evpaxos ocpp <operation> <station>` is the operators' command.
 */
export const ocppCertsCommand: CommandModule<object, CertsArgs> = {
  command: 'ocpp-certs',
  describe:
    'Write a self-signed demo CA and a server certificate for OCPP Security Profile 2 (wss://)',
  builder: (yargs: Argv) =>
    yargs
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'The directory to write ca.crt, ca.key, server.crt, server.key into',
      })
      .option('host', {
        type: 'string',
        array: true,
        default: ['localhost', '127.0.0.1'],
        describe: 'A host name or IP address the centrals are reached at (repeat for each)',
      })
      .option('valid-days', {
        type: 'number',
        default: 365,
        describe: 'Validity of both certificates, days',
      }) as unknown as Argv<CertsArgs>,
  handler: (args) => {
    try {
      const section = writeDemoCertificates(args.out, args.host, args.validDays);
      console.log(`Wrote ${path.resolve(args.out)}/{ca.crt,ca.key,server.crt,server.key}.`);
      console.log('Add to the cluster file (every node reads it):');
      console.log(JSON.stringify({ ocppSecurity: section }, null, 2));
    } catch (error) {
      console.error(
        `evpaxos ocpp-certs: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exitCode = 1;
    }
  },
};
