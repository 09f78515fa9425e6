import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';

/**
 * Letters are ASCII letters; "Chinese characters" are every character of the Han script
 * (`\p{Script=Han}`: the URO block and every extension, e.g. 䶮 U+4DAE of Extension A, as well as
 * 〇 and the compatibility ideographs). Kept in one place so the rule cannot drift.
 */
const NAME_FIRST = 'A-Za-z\\p{Script=Han}';
const NAME_REST = `${NAME_FIRST}0-9:_\\-`;
const NAME_PATTERN = new RegExp(`^[${NAME_FIRST}][${NAME_REST}]*$`, 'u');

/**
 * `JobGroupName`: 2–128 characters, starts with a letter or Chinese character, not with `http://` or
 * `https://`, and contains only letters, Chinese characters, digits, `:`, `_` and `-`.
 */
export const JobGroupNameSchema = lazySchema(() =>
  z
    .string()
    .refine((name) => [...name].length >= 2 && [...name].length <= 128, 'must be 2-128 characters long')
    .refine((name) => !/^https?:\/\//i.test(name), 'must not start with http:// or https://')
    .refine(
      (name) => NAME_PATTERN.test(name),
      'must start with a letter or Chinese character and contain only letters, Chinese characters, digits, ":", "_" or "-"',
    ),
);

/** Ids of algorithm libraries and resource profiles: short opaque tokens. */
export const ResourceIdSchema = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_" or "-"'),
);

/** `cn-shanghai`, `ap-southeast-1`, … */
export const RegionIdSchema = lazySchema(() =>
  z.string().regex(/^[a-z]{2,}(-[a-z0-9]+){1,3}$/, 'must be a region id such as cn-shanghai'),
);
