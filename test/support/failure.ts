import { expect } from 'vitest';
import { AutopilotError } from '../../shared/errors.js';

/** Awaits `promise`, expects it to reject with an `AutopilotError` and returns that error. */
export async function expectFailure(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AutopilotError);
    return error as AutopilotError;
  }
  throw new Error('expected a failure, but the promise resolved');
}
