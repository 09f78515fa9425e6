const MIN_LENGTH = 2;
const MAX_LENGTH = 128;

const isAsciiLetter = (cp: number) => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
const isDigit = (cp: number) => cp >= 0x30 && cp <= 0x39;
// "Chinese characters" = the Han script: every CJK ideograph block and extension (䶮 U+4DAE too).
const HAN = /^\p{Script=Han}$/u;
const isChinese = (cp: number) => HAN.test(String.fromCodePoint(cp));
const isPunctuation = (cp: number) => cp === 0x3a || cp === 0x5f || cp === 0x2d; // : _ -

/**
 * The ModifyJobGroup doc's `JobGroupName` rule: 2–128 characters (code points), first an ASCII letter
 * or a Chinese character, not `http://` or `https://` at the start, then only letters, Chinese
 * characters, digits, `:`, `_` and `-`.
 */
export function isValidJobGroupName(name: string): boolean {
  const codePoints = Array.from(name, (c) => c.codePointAt(0)!);
  if (codePoints.length < MIN_LENGTH || codePoints.length > MAX_LENGTH) return false;
  if (/^https?:\/\//i.test(name)) return false;
  const first = codePoints[0]!;
  if (!isAsciiLetter(first) && !isChinese(first)) return false;
  return codePoints.every((cp) => isAsciiLetter(cp) || isChinese(cp) || isDigit(cp) || isPunctuation(cp));
}
