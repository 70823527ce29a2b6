// The one reader of the environment: every setting is parsed and validated here once, at start-up, so a wrong
// value stops tripwire with a message naming the variable instead of failing later somewhere deep.
import path from 'node:path';
import { z } from 'zod';
import { parseDurationSeconds } from '../../core/duration';
import { projectRoot } from './project-root';

/** How the embedded Temporal dev server's SQLite file syncs its commits (services/temporal/dev-server.ts). */
export const SQLITE_SYNCHRONOUS = ['normal', 'full'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];

/** Where spans go (OTEL_TRACES_EXPORTER); `none` turns tracing off. */
export const TRACES_EXPORTERS = ['none', 'otlp', 'console'] as const;
/** OTLP encodings over HTTP that tripwire can send (OTEL_EXPORTER_OTLP_PROTOCOL). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
/** OpenTelemetry's standard samplers (OTEL_TRACES_SAMPLER). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/** How spans are exported, when tracing is on (services/tracing/). */
export interface TracingConfig {
  readonly exporter: 'otlp' | 'console';
  readonly otlp: {
    /** Full URL of the traces endpoint. */
    readonly url: string;
    readonly protocol: (typeof OTLP_PROTOCOLS)[number];
    readonly headers: Readonly<Record<string, string>>;
  };
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: TracesSampler;
  readonly samplerRatio: number;
}

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const duration = z.string().transform((value, ctx) => {
  try {
    return parseDurationSeconds(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
const flag = z
  .string()
  .transform((value, ctx) => {
    const normalised = value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(normalised)) return true;
    if (['false', '0', 'no'].includes(normalised)) return false;
    ctx.addIssue({ code: 'custom', message: 'expected true or false' });
    return z.NEVER;
  })
  .or(z.boolean());
/** OpenTelemetry's list syntax (`key=value,key2=value2`, values URL-encoded), as its SDKs read it. */
const keyValueList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const pairs: Record<string, string> = {};
    // The values may be secrets (an Authorization header): a message names an item by position, never quotes it.
    for (const [index, item] of (value ?? '').split(',').entries()) {
      if (item.trim() === '') continue;
      const at = item.indexOf('=');
      if (at <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected key=value pairs; item ${index + 1} has no key=` });
        return z.NEVER;
      }
      try {
        pairs[item.slice(0, at).trim()] = decodeURIComponent(item.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `the value of ${item.slice(0, at).trim()} is not URL-encoded` });
        return z.NEVER;
      }
    }
    return pairs;
  });
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The environment variables tripwire reads, with their defaults; the README's configuration table mirrors it. */
export const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the API and webhook server listen on'),
  PORT: port.default(4200).describe('Port of the API and webhook server'),
  TRIPWIRE_PUBLIC_URL: z.url().optional().describe('Base URL senders use to reach tripwire (default http://HOST:PORT)'),
  TRIPWIRE_DATA_DIR: z
    .string()
    .min(1)
    .default('.data')
    .describe('Folder for the SQLite database, the embedded Temporal database and the generated API key'),
  TEMPORAL_ADDRESS: optionalText.describe(
    'host:port of an existing Temporal cluster; when unset, tripwire starts the embedded dev server',
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace'),
  TEMPORAL_PORT: port.default(7233).describe('gRPC port of the embedded Temporal dev server'),
  TEMPORAL_UI_PORT: port.default(8233).describe('Web UI port of the embedded Temporal dev server'),
  TEMPORAL_UI_URL: z
    .url()
    .optional()
    .describe(
      'Temporal UI printed at start and linked from each flow run (default http://HOST:TEMPORAL_UI_PORT for the embedded server)',
    ),
  TEMPORAL_CLI_PATH: optionalText.describe(
    'A temporal CLI binary to use instead of the one scripts/install-temporal.sh builds',
  ),
  TRIPWIRE_TOOLS_DIR: optionalText.describe(
    'Where scripts/install-temporal.sh puts the Temporal CLI (default tools/ in the project folder)',
  ),
  TEMPORAL_DB_SYNCHRONOUS: z
    .enum(SQLITE_SYNCHRONOUS)
    .default('normal')
    .describe(
      "Sync of the embedded Temporal dev server's SQLite file: normal survives a killed process, full also a power cut",
    ),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .default('tripwire')
    .describe("Task queue of tripwire's own workflows (triggers, runs)"),
  TEMPORAL_ROLLOVER_HISTORY_EVENTS: positiveInt
    .default(2000)
    .describe("History length at which the router has a busy automation's workflow continue as new"),
  TRIPWIRE_ROUTER_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(2)
    .max(600)
    .default(10)
    .describe(
      'With PostgreSQL, how long the api process that routes the outbox holds its lease: if it dies, another takes over after at most this long',
    ),
  DATABASE_URL: optionalText.describe(
    'postgres://… to store records in PostgreSQL; when unset, SQLite in TRIPWIRE_DATA_DIR',
  ),
  TRIPWIRE_API_KEY: optionalText.describe(
    'Bearer key for /api; when unset, one is generated at first start and kept in TRIPWIRE_DATA_DIR',
  ),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error', 'silent'])
    .default('info')
    .describe('debug, info, warn, error or silent'),
  WEBHOOK_MAX_BODY_BYTES: positiveInt
    .default(1_048_576)
    .describe('Largest webhook request body accepted (413 above it)'),
  EVENT_MAX_BYTES: positiveInt.default(1_500_000).describe('Largest event accepted, in bytes of JSON'),
  EVENT_RETENTION: duration
    .default(7 * 24 * 3600)
    .describe('How long events are kept (seconds or ISO 8601 duration, e.g. P7D)'),
  TEMPLATE_TIMEOUT_MS: positiveInt.default(1000).describe('Longest a template may render'),
  TEMPLATE_MAX_OUTPUT_BYTES: positiveInt.default(1_048_576).describe('Largest output a template may render'),
  TRIPWIRE_CONSOLE_PASSWORD: optionalText.describe(
    'Password of the web console; when unset, the console signs in with the API key',
  ),
  TRIPWIRE_CONSOLE_SESSION: duration
    .default(12 * 3600)
    .describe('How long a console sign-in lasts (seconds or ISO 8601 duration, e.g. PT12H)'),
  TRIPWIRE_METRICS_KEY: optionalText.describe(
    'A bearer key that reads /metrics only (the API key reads it too), so Prometheus needs no API key',
  ),
  TRIPWIRE_METRICS_PUBLIC: flag.default(false).describe('true: /metrics answers without a key'),
  TRIPWIRE_WORKER_METRICS_PORT: port
    .optional()
    .describe('Port on which the worker process (worker/main.ts) serves /metrics on HOST; unset: it serves none'),
  OTEL_SDK_DISABLED: flag.default(false).describe('true: no tracing, whatever OTEL_TRACES_EXPORTER says'),
  OTEL_TRACES_EXPORTER: z
    .enum(TRACES_EXPORTERS)
    .default('none')
    .describe('Where traces go: none (default: tracing off), otlp or console'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .default('http://localhost:4318')
    .describe('Base URL of the OTLP/HTTP collector; traces go to <endpoint>/v1/traces'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url()
    .optional()
    .describe('Full URL traces are sent to (overrides OTEL_EXPORTER_OTLP_ENDPOINT)'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(OTLP_PROTOCOLS)
    .default('http/protobuf')
    .describe('OTLP encoding over HTTP: http/protobuf or http/json (gRPC is not supported)'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(OTLP_PROTOCOLS)
    .optional()
    .describe('Overrides OTEL_EXPORTER_OTLP_PROTOCOL for traces'),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList.describe(
    'Headers sent to the collector: key=value,key2=value2 (URL-encoded values)',
  ),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList.describe('Headers for traces, added to OTEL_EXPORTER_OTLP_HEADERS'),
  OTEL_SERVICE_NAME: optionalText.describe('service.name of the spans (default tripwire)'),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList.describe('More resource attributes: key=value,key2=value2'),
  OTEL_TRACES_SAMPLER: z
    .enum(TRACES_SAMPLERS)
    .default('parentbased_always_on')
    .describe('always_on, always_off, traceidratio, or parentbased_ of one of those'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Sampling ratio of the traceidratio samplers, 0 to 1 (default 1)'),
  TRIPWIRE_LATE_RUNS_AFTER: duration
    .default(15)
    .describe('How long after its scheduled start a flow run no worker has picked up turns Late (seconds or ISO 8601)'),
  TRIPWIRE_FLOW_RESULT_MAX_BYTES: positiveInt
    .default(524_288)
    .describe(
      "Largest flow result stored with its run, in bytes of JSON; a larger one is left out and the run's Completed message says so",
    ),
});

export type EnvInput = z.input<typeof envSchema>;

/** Validated, derived settings: what every process receives instead of reading process.env itself. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly temporal: {
    readonly address: string | undefined;
    readonly namespace: string;
    readonly port: number;
    readonly uiPort: number;
    readonly uiUrl: string | undefined;
    /** The temporal CLI binary that runs the embedded dev server. */
    readonly cliPath: string;
    /** How the embedded dev server's SQLite file syncs its commits. */
    readonly dbSynchronous: SqliteSynchronous;
    readonly taskQueue: string;
    /** History length at which the router has a busy automation's workflow continue as new. */
    readonly rolloverHistoryEvents: number;
  };
  readonly databaseUrl: string | undefined;
  /** With PostgreSQL, how long the routing process's lease lasts without renewal (services/replicas/lease.ts). */
  readonly routerLeaseMs: number;
  readonly apiKey: string | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly webhookMaxBodyBytes: number;
  readonly eventMaxBytes: number;
  readonly eventRetentionSeconds: number;
  readonly templateTimeoutMs: number;
  readonly templateMaxOutputBytes: number;
  readonly console: {
    /** The console's own password; the API key signs in when unset. */
    readonly password: string | undefined;
    readonly sessionSeconds: number;
  };
  readonly metrics: {
    /** A key that reads /metrics (besides the API key). */
    readonly key: string | undefined;
    /** True when /metrics needs no key. */
    readonly public: boolean;
    /** Where the worker process serves /metrics, if anywhere. */
    readonly workerPort: number | undefined;
  };
  /** Undefined when tracing is off (the default). */
  readonly tracing: TracingConfig | undefined;
  readonly flowRuns: {
    /** Seconds after its scheduled start at which a run nothing has picked up turns Late. */
    readonly lateAfterSeconds: number;
    /** Largest flow result stored, in bytes of JSON. */
    readonly resultMaxBytes: number;
  };
}

/** Thrown when the environment holds a value tripwire cannot use; the message names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Returns the frozen Config for `env` (default process.env), or throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const e = parseEnv(envSchema, env);
  const dataDir = path.resolve(cwd, e.TRIPWIRE_DATA_DIR);
  const browsableHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.TRIPWIRE_PUBLIC_URL ?? `http://${browsableHost}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    temporal: Object.freeze({
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL ?? (e.TEMPORAL_ADDRESS ? undefined : `http://${browsableHost}:${e.TEMPORAL_UI_PORT}`),
      cliPath:
        e.TEMPORAL_CLI_PATH ?? path.join(e.TRIPWIRE_TOOLS_DIR ?? path.join(projectRoot(), 'tools'), 'bin', 'temporal'),
      dbSynchronous: e.TEMPORAL_DB_SYNCHRONOUS,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      rolloverHistoryEvents: e.TEMPORAL_ROLLOVER_HISTORY_EVENTS,
    }),
    databaseUrl: e.DATABASE_URL,
    routerLeaseMs: e.TRIPWIRE_ROUTER_LEASE_SECONDS * 1000,
    apiKey: e.TRIPWIRE_API_KEY,
    logLevel: e.LOG_LEVEL,
    webhookMaxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    eventMaxBytes: e.EVENT_MAX_BYTES,
    eventRetentionSeconds: e.EVENT_RETENTION,
    templateTimeoutMs: e.TEMPLATE_TIMEOUT_MS,
    templateMaxOutputBytes: e.TEMPLATE_MAX_OUTPUT_BYTES,
    console: Object.freeze({ password: e.TRIPWIRE_CONSOLE_PASSWORD, sessionSeconds: e.TRIPWIRE_CONSOLE_SESSION }),
    metrics: Object.freeze({
      key: e.TRIPWIRE_METRICS_KEY,
      public: e.TRIPWIRE_METRICS_PUBLIC,
      workerPort: e.TRIPWIRE_WORKER_METRICS_PORT,
    }),
    tracing:
      e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === 'none'
        ? undefined
        : Object.freeze({
            exporter: e.OTEL_TRACES_EXPORTER,
            otlp: Object.freeze({
              url:
                e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
                `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`,
              protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
              headers: Object.freeze({ ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS }),
            }),
            serviceName: e.OTEL_SERVICE_NAME ?? 'tripwire',
            resourceAttributes: Object.freeze({ ...e.OTEL_RESOURCE_ATTRIBUTES }),
            sampler: e.OTEL_TRACES_SAMPLER,
            samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
          }),
    flowRuns: Object.freeze({
      lateAfterSeconds: e.TRIPWIRE_LATE_RUNS_AFTER,
      resultMaxBytes: e.TRIPWIRE_FLOW_RESULT_MAX_BYTES,
    }),
  });
}

/** Parses the variables `schema` names from `env` (blank counts as unset); throws ConfigError naming each bad one. */
function parseEnv<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(
    Object.fromEntries(Object.keys(schema.shape).map((key) => [key, blankToUndefined(env[key])])),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '');
        const described = envSchema.shape[name as keyof typeof envSchema.shape]?.description;
        return `${name}: ${issue.message}${described ? ` (${described})` : ''}`;
      }),
    );
  }
  return parsed.data;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The Temporal cluster a process talks to: TEMPORAL_ADDRESS, else the embedded dev server on loopback. */
export function temporalAddress(temporal: Pick<Config['temporal'], 'address' | 'port'>): string {
  return temporal.address ?? `127.0.0.1:${temporal.port}`;
}

/**
 * Where a process that loads no full Config (the CLI's pool worker, the TypeScript client's serve()) finds Temporal:
 * the same variables and defaults as loadConfig, read here so that nothing else reads the environment.
 */
export function temporalTarget(env: Record<string, string | undefined> = process.env): {
  address: string;
  namespace: string;
} {
  const e = parseEnv(envSchema.pick({ TEMPORAL_ADDRESS: true, TEMPORAL_PORT: true, TEMPORAL_NAMESPACE: true }), env);
  return {
    address: temporalAddress({ address: e.TEMPORAL_ADDRESS, port: e.TEMPORAL_PORT }),
    namespace: e.TEMPORAL_NAMESPACE,
  };
}

/** Where a client of the API (the CLI, the TypeScript library) sends requests, and with which key. */
export interface ApiTarget {
  /** TRIPWIRE_API_URL, else http://HOST:PORT (loopback when HOST is a wildcard). */
  baseUrl: string;
  /** TRIPWIRE_API_KEY, if set; otherwise the caller reads the key tripwire generated in `dataDir`. */
  apiKey: string | undefined;
  dataDir: string;
  logLevel: Config['logLevel'];
}

/** Reads the API target from `env` with loadConfig's defaults; the CLI and the library read nothing else. */
export function apiTarget(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): ApiTarget {
  const e = parseEnv(
    envSchema.pick({ HOST: true, PORT: true, TRIPWIRE_API_KEY: true, TRIPWIRE_DATA_DIR: true, LOG_LEVEL: true }),
    env,
  );
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    baseUrl: (blankToUndefined(env.TRIPWIRE_API_URL) ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    apiKey: e.TRIPWIRE_API_KEY,
    dataDir: path.resolve(cwd, e.TRIPWIRE_DATA_DIR),
    logLevel: e.LOG_LEVEL,
  };
}
