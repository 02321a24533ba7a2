// Mutual TLS on the peer port: every node presents a certificate signed by the cluster's CA and
// accepts only peers whose certificate verifies against that CA (the outbound side also checks the
// peer's address against the certificate's SAN). TLS proves who holds a certificate; the hello and
// welcome still prove the cluster token and name the cluster id, so two clusters sharing a CA stay
// apart. Inbound sockets reach TLS only after admission (transport-admission.ts), so TLS
// handshakes from outsiders count against the same pre-auth limits, within the hello deadline.
import { createSecureContext, type SecureContext } from 'node:tls';

/** PEM material of this node: its certificate and key, and the CA that signs every peer's. */
export interface PeerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

/** Throws (with OpenSSL's reason) when the material is unusable, e.g. a key of another cert. */
export function peerSecureContext(tls: PeerTls): SecureContext {
  return createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.2' });
}
