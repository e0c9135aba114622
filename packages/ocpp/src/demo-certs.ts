/**
 * A self-signed CA and a server certificate signed by it, for Security Profile 2 in the demo,
 * compose and tests (`evpaxos ocpp-certs`; docs/OCPP.md, "Security profiles"). Node's crypto makes
 * the keys (native, fast) but cannot issue an X.509 certificate; node-forge builds and signs the
 * certificates in pure JavaScript, so this works in the slim Docker image, which has no openssl
 * binary. A production site uses certificates from its own PKI instead.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type forgeModule from 'node-forge';

export interface DemoCertificates {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

export interface DemoCertificateOptions {
  /** Host names and IP addresses the server certificate is valid for (subjectAltName). */
  readonly hosts: readonly string[];
  /** Validity, days from now. */
  readonly validDays: number;
  /** Default: now. */
  readonly notBefore?: Date;
}

/**
 * node-forge, loaded on the first call: every node process imports this package (its OCPP client or
 * CSMS) and none issues certificates, and node-forge is 42 modules and ~1.5 MiB of heap that would
 * stay resident in each (docs/BENCHMARKS.md, "Idle footprint").
 */
function loadForge(): typeof forgeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, see above
  return require('node-forge') as typeof forgeModule;
}

/** RSA keys of this size (the security whitepaper asks for at least 2048 bits). */
const rsaKeyBits = 2048;

function rsaKeyPair(): {
  forgePrivate: forgeModule.pki.rsa.PrivateKey;
  forgePublic: forgeModule.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: rsaKeyBits });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forge = loadForge();
  const forgePrivate = forge.pki.privateKeyFromPem(pem);
  const forgePublic = forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e);
  return { forgePrivate, forgePublic, pem };
}

function certificate(
  subjectCn: string,
  publicKey: forgeModule.pki.rsa.PublicKey,
  options: DemoCertificateOptions,
): forgeModule.pki.Certificate {
  const forge = loadForge();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets, positive).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const notBefore = options.notBefore ?? new Date();
  cert.validity.notBefore = new Date(notBefore.getTime() - 60_000);
  cert.validity.notAfter = new Date(notBefore.getTime() + options.validDays * 86_400_000);
  cert.setSubject([
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: 'evpaxos demo' },
  ]);
  return cert;
}

export function generateDemoCertificates(options: DemoCertificateOptions): DemoCertificates {
  if (options.hosts.length === 0)
    throw new Error('at least one host is needed for the server certificate.');
  if (!(options.validDays >= 1)) throw new Error('validDays must be at least 1.');
  const forge = loadForge();
  // Destructured: the namespace written out with its member reads as a markdown file name to the
  // docs-citations check.
  const { md: messageDigest } = forge;
  const caKeys = rsaKeyPair();
  const ca = certificate('evpaxos demo CA', caKeys.forgePublic, options);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.forgePrivate, messageDigest.sha256.create());

  const serverKeys = rsaKeyPair();
  const server = certificate(options.hosts[0] as string, serverKeys.forgePublic, options);
  server.setIssuer(ca.subject.attributes);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      // type 2: dNSName, type 7: iPAddress (RFC 5280 §4.2.1.6).
      altNames: options.hosts.map((host) =>
        isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host },
      ),
    },
  ]);
  server.sign(caKeys.forgePrivate, messageDigest.sha256.create());
  return {
    caCertPem: forge.pki.certificateToPem(ca),
    caKeyPem: caKeys.pem,
    serverCertPem: forge.pki.certificateToPem(server),
    serverKeyPem: serverKeys.pem,
  };
}
