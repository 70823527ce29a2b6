import { ConfigError, loadConfig } from '../../../services/config/env';
import { parseDurationSeconds } from '../../../core/duration';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({}, '/srv/tripwire');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4200,
      publicUrl: 'http://127.0.0.1:4200',
      dataDir: '/srv/tripwire/.data',
      databaseUrl: undefined,
      apiKey: undefined,
      logLevel: 'info',
      webhookMaxBodyBytes: 1_048_576,
      eventMaxBytes: 1_500_000,
      eventRetentionSeconds: 7 * 24 * 3600,
    });
    expect(config.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      port: 7233,
      uiPort: 8233,
      uiUrl: 'http://127.0.0.1:8233',
      dbSynchronous: 'normal',
    });
  });

  it('reads every variable it documents and treats blank values as unset', () => {
    const config = loadConfig(
      {
        HOST: '0.0.0.0',
        PORT: '8080',
        TEMPORAL_ADDRESS: 'temporal:7233',
        DATABASE_URL: 'postgres://u:p@db/tripwire',
        TRIPWIRE_API_KEY: '',
        EVENT_RETENTION: 'P1D',
        LOG_LEVEL: 'debug',
        TEMPORAL_DB_SYNCHRONOUS: 'full',
      },
      '/x',
    );
    expect(config.temporal.dbSynchronous).toBe('full');
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.temporal.uiUrl).toBeUndefined();
    expect(config.databaseUrl).toBe('postgres://u:p@db/tripwire');
    expect(config.apiKey).toBeUndefined();
    expect(config.eventRetentionSeconds).toBe(86_400);
  });

  it('names every wrong variable and what it allows', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', EVENT_RETENTION: 'soon', TEMPORAL_DB_SYNCHRONOUS: 'off' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT: .*Port of the API/);
    expect(message).toMatch(/LOG_LEVEL: .*debug, info, warn, error or silent/);
    expect(message).toMatch(/EVENT_RETENTION: "soon" is not a duration/);
    expect(message).toMatch(/TEMPORAL_DB_SYNCHRONOUS: .*"normal"\|"full"/);
  });
});

describe('metrics and tracing settings', () => {
  it('keeps /metrics behind a key, serves no worker metrics and traces nothing by default', () => {
    const config = loadConfig({}, '/x');
    expect(config.metrics).toEqual({ key: undefined, public: false, workerPort: undefined });
    expect(config.tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toBeUndefined();
  });

  it('reads the metrics key, public access and the worker port', () => {
    const config = loadConfig({
      TRIPWIRE_METRICS_KEY: ' scrape ',
      TRIPWIRE_METRICS_PUBLIC: 'true',
      TRIPWIRE_WORKER_METRICS_PORT: '9464',
    });
    expect(config.metrics).toEqual({ key: 'scrape', public: true, workerPort: 9464 });
  });

  it('turns tracing on with the standard OTEL_* variables', () => {
    const config = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant=t1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2',
      OTEL_SERVICE_NAME: 'tripwire-api',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config.tracing).toEqual({
      exporter: 'otlp',
      otlp: {
        url: 'http://collector:4318/v1/traces',
        protocol: 'http/protobuf',
        headers: { authorization: 'Bearer abc', 'x-tenant': 't2' },
      },
      serviceName: 'tripwire-api',
      resourceAttributes: { 'deployment.environment': 'prod' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    const direct = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    }).tracing;
    expect(direct?.otlp).toMatchObject({ url: 'https://otlp.example/traces', protocol: 'http/json' });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
  });

  it('names wrong metrics and tracing variables, without quoting a header (it may be a secret)', () => {
    expect(() =>
      loadConfig({
        TRIPWIRE_METRICS_PUBLIC: 'maybe',
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a,Bearer secret-token',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringMatching(/^TRIPWIRE_METRICS_PUBLIC: /),
          expect.stringMatching(/^OTEL_TRACES_EXPORTER: .*"none"\|"otlp"\|"console"/),
          expect.stringMatching(/^OTEL_EXPORTER_OTLP_PROTOCOL: .*gRPC is not supported/),
          expect.stringMatching(/^OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs; item 2 has no key=/),
          expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG: /),
        ],
      }),
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'Bearer secret-token' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-token') }),
    );
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    [3600, 3600],
    ['3600', 3600],
    ['PT2H', 7200],
    ['PT30M', 1800],
    ['P1D', 86_400],
    ['P1W', 604_800],
    ['P1DT1H30M5.5S', 91_805.5],
    ['01:00:00', 3600],
    ['1 day, 01:00:00', 90_000],
  ])('reads %p as %p seconds', (input, seconds) => {
    expect(parseDurationSeconds(input)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', '2 hours', 'P1H'])('rejects %p', (input) => {
    expect(() => parseDurationSeconds(input)).toThrow(/not a duration/);
  });
});
