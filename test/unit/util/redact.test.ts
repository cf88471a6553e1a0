import { describe, expect, it } from 'vitest';
import { createRedactor, redactDeep, secretValues } from '../../../src/util/redact.ts';
import { createLogger } from '../../../src/util/logger.ts';

const env = {
  ANTHROPIC_API_KEY: 'sk-ant-api03-abcdefghijklmnop',
  MY_SERVICE_TOKEN: 'tok_1234567890',
  DB_PASSWORD: 'correct horse battery',
  FEATURE_FLAG_KEY: 'true',
  SHORT_SECRET: 'abc',
  HOME: '/home/someone',
};

describe('createRedactor', () => {
  const redact = createRedactor(env);

  it('replaces the values of secret-named variables, naming the variable', () => {
    expect(redact('key is tok_1234567890, ok')).toBe('key is [redacted MY_SERVICE_TOKEN], ok');
    expect(redact('pw: correct horse battery')).toBe('pw: [redacted DB_PASSWORD]');
  });

  it('leaves ordinary values alone: short ones, booleans, non-secret names', () => {
    expect(secretValues(env).map((s) => s.name).sort()).toEqual(['ANTHROPIC_API_KEY', 'DB_PASSWORD', 'MY_SERVICE_TOKEN']);
    expect(redact('home is /home/someone, flag true, abc')).toBe('home is /home/someone, flag true, abc');
  });

  it('judges names by whole parts: GIT_AUTHOR_NAME, KEYMAP and SSH_AUTH_SOCK are not secrets', () => {
    const names = secretValues({
      GIT_AUTHOR_NAME: 'Jane Smith the author',
      KEYMAP: 'us-international',
      SSH_AUTH_SOCK: '/run/user/1000/ssh-agent.sock',
      XAUTHORITY: '/home/jane/.Xauthority',
      GH_TOKEN: 'ghs_abcdefghijkl',
      OPENAI_APIKEY: 'abcdefghijkl',
      MY_SECRET_VALUE: 'abcdefghijkl',
      CLAUDE_CODE_OAUTH_TOKEN: 'abcdefghijklmn',
    }).map((s) => s.name);
    expect(names.sort()).toEqual(['CLAUDE_CODE_OAUTH_TOKEN', 'GH_TOKEN', 'MY_SECRET_VALUE', 'OPENAI_APIKEY']);
  });

  it('catches well-known token shapes not in the environment', () => {
    const r = createRedactor({});
    expect(r('x sk-ant-oat01-ZZZZZZZZZZZZ y')).toBe('x [redacted] y');
    expect(r('ghp_' + 'a'.repeat(36))).toBe('[redacted]');
    expect(r('Authorization: Bearer abcdefghijklmnopqrstuvwxyz')).toBe('Authorization: Bearer [redacted]');
    expect(r('AKIAABCDEFGHIJKLMNOP')).toBe('[redacted]');
    expect(r('a normal sentence about sk- prefixes and tokens')).toBe('a normal sentence about sk- prefixes and tokens');
  });

  it('redacts every string in a nested value', () => {
    expect(redactDeep({ a: ['tok_1234567890'], b: { c: 1, d: 'sk-ant-api03-abcdefghijklmnop' } }, redact)).toEqual({
      a: ['[redacted MY_SERVICE_TOKEN]'],
      b: { c: 1, d: '[redacted ANTHROPIC_API_KEY]' },
    });
  });

  it('keeps secrets out of log lines, human and JSON', () => {
    for (const format of ['human', 'json'] as const) {
      const lines: string[] = [];
      const logger = createLogger({ format, write: (l) => lines.push(l), redact }).child({ agent: 'tok_1234567890' });
      logger.error('turn failed: tok_1234567890', { stderr: 'HTTP 401 key=sk-ant-api03-abcdefghijklmnop', nested: { x: 'correct horse battery' } });
      expect(lines.join('\n')).not.toMatch(/tok_1234567890|abcdefghijklmnop|correct horse/);
      expect(lines.join('\n')).toContain('[redacted MY_SERVICE_TOKEN]');
    }
  });
});
