// Throwaway MariaDB servers for tests: the same starter `binrelay demo` uses.
export * from '../../src/demo/throwaway-mariadb.js';
