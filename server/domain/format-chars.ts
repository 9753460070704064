/*
 * Invisible Unicode format characters (general category Cf): bidirectional overrides, embeddings
 * and isolates (U+202A–202E, U+2066–2069), the direction marks, zero-width spaces and joiners, the
 * byte-order mark, tag characters. In a name, subject, comment or file name they only serve to
 * deceive: `U+202E` turns `gpj.exe` around so it reads as `exe.jpg`, an unclosed override reverses the
 * text after it on the page, a zero-width space makes two names that look the same differ.
 *
 * Two joiners carry meaning and stay: the zero-width joiner between two emoji (it makes one emoji of
 * a family or a profession), and the zero-width non-joiner between two letters (Persian and Indic
 * scripts need it to spell some words).
 */

const FORMAT = /\p{Cf}/gu;
const HAS_FORMAT = /\p{Cf}/u;
const ZWJ = "\u200d";
const ZWNJ = "\u200c";
/** An emoji, with its skin tone and presentation selector, right before the joiner. */
const EMOJI_BEFORE = /\p{Extended_Pictographic}\p{Emoji_Modifier}?\uFE0F?$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;
const LETTER_BEFORE = /[\p{L}\p{M}]$/u;
const LETTER_AFTER = /^\p{L}/u;

/** `text` without the format characters that can spoof what it says (see above). */
export function stripFormatChars(text: string): string {
  if (!HAS_FORMAT.test(text)) return text;
  return text.replace(FORMAT, (ch: string, offset: number, whole: string) => {
    // Two UTF-16 units per emoji or modifier, one for the selector: six units reach back far enough.
    const before = whole.slice(Math.max(0, offset - 6), offset);
    const after = whole.slice(offset + 1, offset + 3);
    if (ch === ZWJ && EMOJI_BEFORE.test(before) && EMOJI_AFTER.test(after)) return ch;
    if (ch === ZWNJ && LETTER_BEFORE.test(before) && LETTER_AFTER.test(after)) return ch;
    return "";
  });
}
