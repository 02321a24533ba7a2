// What the server pretends to be. MariaDB replicas and tools (the main audience) want a
// "5.5.5-" version prefix, CLIENT_MYSQL cleared and mysql_native_password; MySQL 8+ replicas
// default to caching_sha2_password and look at the version to decide on tagged GTIDs.

import { BASE_SERVER_CAPABILITIES, CLIENT_MYSQL } from './capability-flags.js';
import { UTF8MB4_0900_AI_CI, UTF8MB4_GENERAL_CI } from './column-types.js';
import { MYSQL_NATIVE_PASSWORD } from './auth-native-password.js';
import { CACHING_SHA2_PASSWORD } from './auth-caching-sha2.js';

export type ServerFlavor = 'mariadb' | 'mysql';
export type AuthPluginName = typeof MYSQL_NATIVE_PASSWORD | typeof CACHING_SHA2_PASSWORD;

export const AUTH_PLUGINS: readonly AuthPluginName[] = [MYSQL_NATIVE_PASSWORD, CACHING_SHA2_PASSWORD];

export function isAuthPluginName(name: string): name is AuthPluginName {
  return (AUTH_PLUGINS as readonly string[]).includes(name);
}

export interface FlavorDefaults {
  /** Must start with a digit (replicas check). MariaDB's "5.5.5-" prefix tells old clients the
   *  real version follows. */
  serverVersion: string;
  authPlugin: AuthPluginName;
  capabilities: number;
  /** Server default collation id sent in the greeting. */
  charset: number;
}

export function flavorDefaults(flavor: ServerFlavor): FlavorDefaults {
  if (flavor === 'mysql') {
    return {
      serverVersion: '8.4.0-binrelay',
      authPlugin: CACHING_SHA2_PASSWORD,
      capabilities: (BASE_SERVER_CAPABILITIES | CLIENT_MYSQL) >>> 0,
      charset: UTF8MB4_0900_AI_CI,
    };
  }
  return {
    serverVersion: '5.5.5-10.11.19-MariaDB-binrelay-log',
    authPlugin: MYSQL_NATIVE_PASSWORD,
    capabilities: BASE_SERVER_CAPABILITIES & ~CLIENT_MYSQL,
    charset: UTF8MB4_GENERAL_CI,
  };
}
