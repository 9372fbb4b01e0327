// Postgres and Redis for the demo, found (or started with Docker compose) exactly as for the
// tests: scripts/ensure-services.mjs, the one place that knows the URLs' defaults and how to
// start the compose services. It is plain JavaScript (npm test runs it before tsx is loaded), so
// it is imported by URL and given its type here.
export interface ServiceUrls {
  /** The Postgres server (its maintenance database): the demo creates its own database there. */
  readonly postgres: string;
  readonly redis: string;
}

interface EnsureServicesModule {
  ensureServices(options?: { log?: (line: string) => void }): Promise<void>;
  serviceUrls(env?: NodeJS.ProcessEnv): ServiceUrls;
}

const mod = (await import(new URL('../scripts/ensure-services.mjs', import.meta.url).href)) as EnsureServicesModule;

/** Resolves when Postgres and Redis answer (starting the compose services if they do not and Docker is there). */
export const ensureServices: EnsureServicesModule['ensureServices'] = mod.ensureServices;

/** TEST_DATABASE_URL and REDIS_URL, with their defaults. */
export const serviceUrls: EnsureServicesModule['serviceUrls'] = mod.serviceUrls;
