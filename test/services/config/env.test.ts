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
