// A fresh certificate authority and API server certificate per simulator start (EC P-256: fast to make).
// The CA goes into the kubeconfig; kubectl only sends its bearer token over TLS.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface ServerTls {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function serialNumber(): string {
  // Positive (leading nibble below 8), 16 bytes, as CAs do.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export async function createServerTls(hosts: { ips: string[]; dnsNames: string[] }): Promise<ServerTls> {
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const [caKeys, serverKeys] = await Promise.all([
    webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']),
    webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']),
  ]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=kubernetes',
    notBefore,
    notAfter,
    keys: caKeys as webcrypto.CryptoKeyPair,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
  });
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: (caKeys as webcrypto.CryptoKeyPair).privateKey,
    publicKey: (serverKeys as webcrypto.CryptoKeyPair).publicKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...hosts.ips.map((value) => ({ type: 'ip' as const, value })),
        ...hosts.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ]),
    ],
  });
  const keyDer = await webcrypto.subtle.exportKey(
    'pkcs8',
    (serverKeys as webcrypto.CryptoKeyPair).privateKey,
  );
  return {
    caCertPem: ca.toString('pem') + '\n',
    certPem: server.toString('pem') + '\n',
    keyPem: pem('PRIVATE KEY', keyDer),
  };
}
