// The MySQL wire-protocol library: framing, field encodings, handshake and authentication,
// responses and result sets, and the server-side connection.

export * from './protocol-error.js';
export * from './capability-flags.js';
export * from './command-codes.js';
export * from './column-types.js';
export * from './server-status.js';
export * from './error-codes.js';
export * from './lenenc.js';
export * from './payload-reader.js';
export * from './payload-writer.js';
export * from './packet-framer.js';
export * from './response-packets.js';
export * from './result-set.js';
export * from './handshake.js';
export * from './auth-native-password.js';
export * from './auth-caching-sha2.js';
export * from './flavor.js';
export * from './password-hashes.js';
export * from './server-auth.js';
export * from './tls-upgrade.js';
export * from './payload-inbox.js';
export * from './command-handler.js';
export * from './server-connection.js';
export * from './protocol-server.js';
