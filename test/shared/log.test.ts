import { afterEach, describe, expect, it } from 'vitest';
import { logger, pinLogLevel, unpinLogLevel } from '../../shared/log.js';
import { captureLogs } from '../support/logs.js';

afterEach(() => {
  delete process.env.LOG_LEVEL;
});

describe('the LOG_LEVEL reading of running invocations', () => {
  it('holds while any invocation that pinned it runs, and ends with the last of them', () => {
    const { lines, restore } = captureLogs();
    const a = {};
    const b = {};
    try {
      process.env.LOG_LEVEL = 'debug';
      pinLogLevel(a);
      process.env.LOG_LEVEL = 'error';
      pinLogLevel(b);
      unpinLogLevel(b);
      // b has ended; a still runs on the level read when it started
      logger.debug('a still at debug');
      // an owner that never pinned ends nothing
      unpinLogLevel({});
      logger.debug('still at debug');
      unpinLogLevel(a);
      logger.warn('read again: hidden at error');
      logger.error('read again: shown');
    } finally {
      restore();
    }
    expect(lines.map((line) => line.msg)).toEqual([
      'a still at debug',
      'still at debug',
      'read again: shown',
    ]);
  });
});
