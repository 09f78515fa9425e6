import { z } from 'zod';
import { useOurMessages } from './messages.js';

// Every schema is built through here: its validation messages are ours, not the library's.
useOurMessages();

/**
 * A module-level schema that is built on first use instead of when its module loads. Every bundle
 * imports most of `shared/` (the config file alone reaches the schedule and rule schemas), and building
 * a zod schema is real work, so without this each cold start would build every schema of every
 * function (~640) before its first request needed any. The returned value stands for the schema
 * everywhere — `parse`, `shape`, nesting in other schemas, `z.infer` — so call sites do not change.
 *
 * @example
 * export const ScaleBodySchema = lazySchema(() => z.strictObject({ planedJobCount: z.number().int() }));
 * ScaleBodySchema.parse(body); // built here, once
 */
export function lazySchema<S extends object>(build: () => S): S {
  let schema: S | undefined;
  const get = (): S => {
    if (schema === undefined) {
      schema = build();
      // `.meta()` metadata is looked up by identity (JSON Schema output): the stand-in carries it too.
      const meta = z.globalRegistry.get(schema as unknown as z.ZodType);
      if (meta !== undefined) z.globalRegistry.add(standIn as unknown as z.ZodType, meta);
    }
    return schema;
  };
  // Every trap forwards to the built schema; getters run with the schema itself as `this`.
  const standIn: S = new Proxy({} as S, {
    get: (_, key) => Reflect.get(get(), key),
    set: (_, key, value) => Reflect.set(get(), key, value),
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    // Reported configurable: the stand-in object does not own the property, and a proxy may not claim
    // a non-configurable property its target lacks.
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(get(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(get(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(get(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
  return standIn;
}
