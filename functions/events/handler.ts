import { handleEventDelivery } from '../../shared/events/index.js';
import { parseEventBridgeEvent } from '../../shared/fc/eventbridge.js';
import { createFcHandler } from '../../shared/handler.js';
import { rulesSection } from '../../shared/rules/section.js';
import { getRuntime } from '../../shared/runtime.js';

/**
 * EventBridge trigger (CloudEvents, one object or a batch): the shared stack decodes the Buffer; each
 * event goes through the rules and becomes job-group changes. A retryable failure fails the invocation
 * (FC async retry, then the failure destination); everything else is acknowledged with a summary.
 */
export const handler = createFcHandler({
  decode: parseEventBridgeEvent,
  errors: 'async',
  run: (delivery, invocation) => handleEventDelivery(delivery, invocation, getRuntime([rulesSection])),
});
