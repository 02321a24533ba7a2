// Throwaway MariaDB servers for tests: the same starter `binrelay demo` uses.
export * from '../../src/demo/throwaway-mariadb.js';
export { freePort } from '../../src/demo/free-port.js';
