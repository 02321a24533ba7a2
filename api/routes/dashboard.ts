// GET / — the dashboard page (public: it holds no data, and asks for the token when the node has
// one); GET /dashboard.json — what it shows of this node.
import type { FastifyInstance } from 'fastify';
import type { DashboardBackend } from '../backend.js';
import { DASHBOARD_PAGE } from '../dashboard-page.js';
import { success } from '../server.js';

export function registerDashboardRoutes(app: FastifyInstance, backend: DashboardBackend): void {
  app.get('/', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(DASHBOARD_PAGE));
  app.get('/dashboard.json', async () => success(backend.dashboard()));
}
